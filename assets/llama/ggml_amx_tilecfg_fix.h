/* accelmark: make GCC <= 12 keep ggml's AMX tile configuration (ggml-org/llama.cpp#20824).
 *
 * GCC <= 12's <amxtileintrin.h> gives _tile_loadconfig an asm memory operand of 8 bytes
 * (*(const void **)cfg), so the stores that fill the rest of ggml's 64-byte stack config
 * are dropped as dead and the first tile instruction of a multi-token batch faults.
 * This macro declares all 64 bytes as read. Force-included into every C++ file
 * (-DCMAKE_CXX_FLAGS=-include<this file>); a no-op for other compilers and targets.
 */
#if defined(__cplusplus) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ <= 12 && defined(__x86_64__)
#include <immintrin.h>
#undef _tile_loadconfig
#define _tile_loadconfig(cfg) __asm__ volatile("ldtilecfg\t%X0" :: "m"(*(const unsigned char (*)[64])(cfg)))
#endif
