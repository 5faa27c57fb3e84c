// IPv4 UDP sockets bound to one device inside another network namespace,
// for the DHCP client (src/dhcp). Like the netlink sockets (netlink.cc), a
// socket belongs to the netns of the thread that created it: switch in with
// setns(2), create and bind, switch back at once, and abort if the way back
// fails (the JS thread must never keep running in the container's netns).
//
// SO_BINDTODEVICE is what lets an interface without any IPv4 address send to
// and receive from 255.255.255.255: the kernel picks the device from the
// socket, and the source address of a limited broadcast with no address on
// the device is 0.0.0.0, which is what a DHCP client must send from.
#include "udp.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "in-netns.h"

namespace {

int OpenBound(const std::string& ifname, int port, int* err, const char** what) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    *what = "socket";
    return -1;
  }
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0) {
    *err = errno;
    *what = "setsockopt";
    close(fd);
    return -1;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), static_cast<socklen_t>(ifname.size() + 1)) < 0) {
    *err = errno;
    *what = "setsockopt(SO_BINDTODEVICE)";
    close(fd);
    return -1;
  }
  struct sockaddr_in local = {};
  local.sin_family = AF_INET;
  local.sin_port = htons(static_cast<uint16_t>(port));
  local.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&local), sizeof local) < 0) {
    *err = errno;
    *what = "bind";
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

// udpOpenInNetns(netnsFd: number, ifname: string, port: number): fd
Napi::Value UdpOpenInNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int target = info[0].As<Napi::Number>().Int32Value();
  std::string ifname = info[1].As<Napi::String>().Utf8Value();
  int port = info[2].As<Napi::Number>().Int32Value();
  if (ifname.empty() || ifname.size() >= IFNAMSIZ || port < 0 || port > 65535) {
    ThrowErrno(env, EINVAL, "udpOpenInNetns", ifname.c_str());
    return env.Undefined();
  }
  int err = 0;
  const char* what = "socket";
  int fd = -1;
  if (!RunInNetns(env, target, nullptr, [&] { fd = OpenBound(ifname, port, &err, &what); })) return env.Undefined();
  if (fd < 0) {
    ThrowErrno(env, err, what, ifname.c_str());
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// udpSendTo(fd, data: Buffer, address: string (dotted IPv4), port): bytes sent
Napi::Value UdpSendTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
  std::string addr = info[2].As<Napi::String>().Utf8Value();
  int port = info[3].As<Napi::Number>().Int32Value();
  struct sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, addr.c_str(), &to.sin_addr) != 1) {
    ThrowErrno(env, EINVAL, "inet_pton", addr.c_str());
    return env.Undefined();
  }
  ssize_t n;
  do {
    n = sendto(fd, buf.Data(), buf.Length(), 0, reinterpret_cast<struct sockaddr*>(&to), sizeof to);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    ThrowErrno(env, errno, "sendto", addr.c_str());
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

// udpRecvFrom(fd, timeoutMs): { data: Buffer, address: string, port: number } or null on timeout.
// Datagrams longer than 64 KiB cannot exist for UDP over IPv4.
Napi::Value UdpRecvFrom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int timeout = info[1].As<Napi::Number>().Int32Value();
  struct pollfd p = {fd, POLLIN, 0};
  int rc;
  do {
    rc = poll(&p, 1, timeout < 0 ? 0 : timeout);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    ThrowErrno(env, errno, "poll");
    return env.Undefined();
  }
  if (rc == 0) return env.Null();
  static uint8_t data[65536];
  struct sockaddr_in from = {};
  socklen_t fromLen = sizeof from;
  ssize_t n;
  do {
    n = recvfrom(fd, data, sizeof data, MSG_DONTWAIT, reinterpret_cast<struct sockaddr*>(&from), &fromLen);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return env.Null();
    ThrowErrno(env, errno, "recvfrom");
    return env.Undefined();
  }
  char text[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &from.sin_addr, text, sizeof text);
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", Napi::Buffer<uint8_t>::Copy(env, data, static_cast<size_t>(n)));
  out.Set("address", Napi::String::New(env, text));
  out.Set("port", Napi::Number::New(env, ntohs(from.sin_port)));
  return out;
}
