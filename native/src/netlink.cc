// Netlink sockets bound to a chosen network namespace.
//
// A netlink socket belongs to the netns of the thread that created it, for
// its whole life. To open one inside another netns we switch this thread in
// with setns(2), create the socket, and switch back at once. If the way back
// fails the JS thread would silently keep running in the container's netns,
// so we abort instead.
#include "netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "errors.h"
#include "in-netns.h"

namespace {

int OpenInCurrentNetns(int protocol, int bufBytes, int recvTimeoutMs, bool strictCheck, int* err) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  // Large buffers let a whole batch of requests and their acks fit at once.
  // SO_*BUFFORCE needs CAP_NET_ADMIN; fall back to the capped variants.
  if (bufBytes > 0) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufBytes, sizeof bufBytes) < 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufBytes, sizeof bufBytes);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufBytes, sizeof bufBytes) < 0)
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufBytes, sizeof bufBytes);
  }
  // A receive that the kernel never answers fails EAGAIN after the timeout instead of blocking
  // forever (signals cannot reach JavaScript while it waits in this synchronous call).
  if (recvTimeoutMs > 0) {
    struct timeval tv = {};
    tv.tv_sec = recvTimeoutMs / 1000;
    tv.tv_usec = (recvTimeoutMs % 1000) * 1000;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
      *err = errno;
      close(fd);
      return -1;
    }
  }
  int one = 1;
  // Extended acks carry the kernel's own error text; best effort on old kernels.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  // Strict checking makes the kernel honour a dump request's filters (an ifindex, RTA_OIF).
  // Best effort: a kernel before 4.20 ignores the filters and sends the whole table.
  if (strictCheck) setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
  struct sockaddr_nl local = {};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&local), sizeof local) < 0) {
    *err = errno;
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

// open(protocol: number, netnsPath: string | null, bufBytes: number, recvTimeoutMs: number, strictCheck: boolean): fd
Napi::Value NetlinkOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int protocol = info[0].As<Napi::Number>().Int32Value();
  bool inOtherNetns = info.Length() > 1 && info[1].IsString();
  int bufBytes = info.Length() > 2 ? info[2].As<Napi::Number>().Int32Value() : 0;
  int recvTimeoutMs = info.Length() > 3 ? info[3].As<Napi::Number>().Int32Value() : 0;
  bool strictCheck = info.Length() > 4 && info[4].ToBoolean().Value();
  int err = 0;
  if (!inOtherNetns) {
    int fd = OpenInCurrentNetns(protocol, bufBytes, recvTimeoutMs, strictCheck, &err);
    if (fd < 0) {
      ThrowErrno(env, err, "socket");
      return env.Undefined();
    }
    return Napi::Number::New(env, fd);
  }

  std::string path = info[1].As<Napi::String>().Utf8Value();
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    ThrowErrno(env, errno, "open", path.c_str());
    return env.Undefined();
  }
  int fd = -1;
  bool entered = RunInNetns(env, target, path.c_str(), [&] { fd = OpenInCurrentNetns(protocol, bufBytes, recvTimeoutMs, strictCheck, &err); });
  close(target);
  if (!entered) return env.Undefined();
  if (fd < 0) {
    ThrowErrno(env, err, "socket", path.c_str());
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// send(fd, buffer): bytes sent. One sendto carries a whole batch.
Napi::Value NetlinkSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
  struct sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = sendto(fd, buf.Data(), buf.Length(), 0, reinterpret_cast<struct sockaddr*>(&kernel), sizeof kernel);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    ThrowErrno(env, errno, "sendto");
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

// recv(fd): Buffer with one datagram (possibly many netlink messages).
// Blocks until the kernel answers or the socket's receive timeout expires (EAGAIN).
Napi::Value NetlinkRecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  ssize_t size;
  do {
    size = recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
  } while (size < 0 && errno == EINTR);
  if (size < 0) {
    ThrowErrno(env, errno, "recv");
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(size > 0 ? size : 1));
  ssize_t n;
  do {
    n = recv(fd, out.Data(), out.Length(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    ThrowErrno(env, errno, "recv");
    return env.Undefined();
  }
  if (static_cast<size_t>(n) == out.Length()) return out;
  return Napi::Buffer<uint8_t>::Copy(env, out.Data(), static_cast<size_t>(n));
}
