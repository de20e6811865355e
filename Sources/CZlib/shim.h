#pragma once
// zlib (Debian: zlib1g-dev, found through pkg-config `zlib`; part of the SDK on Apple platforms).
#include <zlib.h>
