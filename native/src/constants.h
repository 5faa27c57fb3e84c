#pragma once
#include <napi.h>

Napi::Object Constants(Napi::Env env);
