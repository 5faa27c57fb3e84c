#pragma once
#include <napi.h>

Napi::Value Close(const Napi::CallbackInfo& info);
Napi::Value BindMount(const Napi::CallbackInfo& info);
Napi::Value Unmount(const Napi::CallbackInfo& info);
Napi::Value Flock(const Napi::CallbackInfo& info);
Napi::Value Execve(const Napi::CallbackInfo& info);
Napi::Value Strerror(const Napi::CallbackInfo& info);
Napi::Value PeerCred(const Napi::CallbackInfo& info);
Napi::Value CloseOnExecFrom(const Napi::CallbackInfo& info);
Napi::Value ReadDirFiles(const Napi::CallbackInfo& info);
