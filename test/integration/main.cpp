#define BOOST_TEST_MODULE asio_fswatch integration tests
#include <boost/test/unit_test.hpp>
