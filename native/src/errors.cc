#include "errors.h"

#include <string.h>
#include <uv.h>

#include <string>

void ThrowErrno(Napi::Env env, int err, const char* syscall, const char* path) {
  const char* code = uv_err_name(-err);
  std::string msg = std::string(code) + ": " + strerror(err) + ", " + syscall;
  if (path != nullptr) msg += std::string(" '") + path + "'";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("code", Napi::String::New(env, code));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (path != nullptr) e.Set("path", Napi::String::New(env, path));
  e.ThrowAsJavaScriptException();
}
