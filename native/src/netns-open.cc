// Files opened from inside another network namespace.
//
// /proc/sys/net/... resolves against the netns of the thread that looks it
// up; once open, the file stays bound to that netns. So we switch this thread
// in with setns(2), open, and switch back at once, as the netlink sockets do
// (netlink.cc). If the way back fails the JS thread would silently keep
// running in the container's netns, so we abort instead.
#include "netns-open.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "in-netns.h"

// openInNetns(netnsFd: number, path: string, flags: number): fd
// O_CLOEXEC is always added.
Napi::Value OpenInNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int target = info[0].As<Napi::Number>().Int32Value();
  std::string path = info[1].As<Napi::String>().Utf8Value();
  int flags = info[2].As<Napi::Number>().Int32Value();
  int fd = -1;
  int err = 0;
  if (!RunInNetns(env, target, nullptr, [&] {
        do {
          fd = open(path.c_str(), flags | O_CLOEXEC);
        } while (fd < 0 && errno == EINTR);
        err = errno;
      })) {
    return env.Undefined();
  }
  if (fd < 0) {
    ThrowErrno(env, err, "open", path.c_str());
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}
