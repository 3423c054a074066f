/*
 * A stand-in for Windows' bcryptprimitives.dll, for running confpass's tests
 * under wine 8 only: it never ships and is never used on Windows.
 *
 * Rust's std (1.78 and later) fills HashMap keys and other random state from
 * ProcessPrng, exported by bcryptprimitives.dll since Windows 8. Wine 8 has
 * no such DLL, so every Rust program fails to start under it. This one
 * export answers from RtlGenRandom (advapi32's SystemFunction036), which
 * wine implements from the host's /dev/urandom.
 *
 * Built by .ci/wine/setup with mingw-w64 into the wine prefix's system32.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
