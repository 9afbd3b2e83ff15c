// SPDX-License-Identifier: BSL-1.0
// Boost.Process v2 (1.81) includes <Windows.h>, as on Windows's case-insensitive file systems;
// MinGW-w64 on Linux has <windows.h> only. Cross builds add this directory to the tests' include
// path, and nothing else.
#include <windows.h>
