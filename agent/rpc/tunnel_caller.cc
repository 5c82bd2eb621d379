#include "agent/rpc/tunnel_caller.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <utility>

#include "absl/strings/escaping.h"

namespace pathpair::agent {
namespace {

std::string RandomSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // no entropy: nothing is safe
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace

TunnelCaller::TunnelCaller() : secret_(RandomSecret()) {}

bool TunnelCaller::Marked(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const {
  auto it = metadata.find(kTunnelHeader);
  return it != metadata.end() &&
         SecretEquals(absl::string_view(it->second.data(), it->second.size()), secret_);
}

CallerIdentity TunnelCaller::Get() const {
  absl::MutexLock lock(&mu_);
  return identity_;
}

void TunnelCaller::Set(CallerIdentity identity) {
  absl::MutexLock lock(&mu_);
  identity_ = std::move(identity);
}

}  // namespace pathpair::agent
