#pragma once
#include <napi.h>

// Throws a JS Error shaped like Node's system errors: errno (negative, as
// in Node), code ("ENOENT"), syscall, and an optional path.
void ThrowErrno(Napi::Env env, int err, const char* syscall, const char* path = nullptr);
