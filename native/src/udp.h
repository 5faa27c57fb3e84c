#pragma once
#include <napi.h>

Napi::Value UdpOpenInNetns(const Napi::CallbackInfo& info);
Napi::Value UdpSendTo(const Napi::CallbackInfo& info);
Napi::Value UdpRecvFrom(const Napi::CallbackInfo& info);
