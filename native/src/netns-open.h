#pragma once
#include <napi.h>

Napi::Value OpenInNetns(const Napi::CallbackInfo& info);
