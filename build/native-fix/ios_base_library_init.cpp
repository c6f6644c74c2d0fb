// Supplies std::ios_base_library_init() (new in GCC 13's libstdc++) for libLibTorchSharp.so on systems
// whose libstdc++ stops at GLIBCXX_3.4.30 (Debian 12). GCC 13 emits a call to it from <iostream> to
// construct the standard streams; constructing an ios_base::Init does the same on older libstdc++.
#include <ios>

namespace std {
void ios_base_library_init() {
    static ios_base::Init init;
}
}  // namespace std
