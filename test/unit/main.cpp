#define BOOST_TEST_MODULE asio_fswatch unit tests
#include <boost/test/unit_test.hpp>
