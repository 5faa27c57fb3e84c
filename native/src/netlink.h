#pragma once
#include <napi.h>

Napi::Value NetlinkOpen(const Napi::CallbackInfo& info);
Napi::Value NetlinkSend(const Napi::CallbackInfo& info);
Napi::Value NetlinkRecv(const Napi::CallbackInfo& info);
