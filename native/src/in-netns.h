#pragma once
#include <napi.h>

#include <functional>

// Runs `body` with this thread in the network namespace open at `targetFd`,
// then switches back at once. If the way back fails the JS thread would
// silently keep running in the container's netns, so the process aborts.
// Returns false, with a JS error thrown (`label` as its path), when the
// namespace could not be entered; `body` then did not run.
bool RunInNetns(Napi::Env env, int targetFd, const char* label, const std::function<void()>& body);
