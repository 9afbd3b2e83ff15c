// SPDX-License-Identifier: BSL-1.0
#define BOOST_TEST_MODULE asio_fswatch unit tests
#if defined(ASIO_FSWATCH_TEST_RUNNER_INCLUDED)
#include <boost/test/included/unit_test.hpp> // the whole runner, from headers (cross builds)
#else
#include <boost/test/unit_test.hpp>
#endif
