/* Test-only stand-in for Windows' bcryptprimitives.dll, which Wine 8 lacks and which Rust's std
 * imports on Windows (ProcessPrng, its random source for HashMap keys and more). It forwards to
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. scripts/try-wine.sh builds it with
 * mingw-w64 and drops it beside recupero.exe in a throwaway Wine prefix; it is never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
