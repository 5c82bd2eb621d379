#include "agent/rpc/tls_files.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace pathpair::agent {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > 1024 * 1024) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is larger than 1 MiB"));
  }
  return text.str();
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  std::string token(absl::StripAsciiWhitespace(*text));
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " holds no token"));
  if (token.find_first_of(" \t\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the token must be a single word"));
  }
  return token;
}

namespace {

// Reads `path` and checks that it holds `marker` (the PEM block it must contain).
absl::StatusOr<std::string> ReadPem(const std::string& path, const char* marker, const char* what) {
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  if (text->find(marker) == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a PEM ", what));
  }
  return text;
}

}  // namespace

absl::StatusOr<TlsPem> ReadTlsPem(const TlsFiles& files) {
  if (files.cert.empty() || files.key.empty() || files.ca.empty()) {
    return absl::InvalidArgumentError("TLS needs a certificate, its key and the CA certificate");
  }
  constexpr char kCertificate[] = "-----BEGIN CERTIFICATE-----";
  absl::StatusOr<std::string> cert = ReadPem(files.cert, kCertificate, "certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(files.key, "PRIVATE KEY-----", "private key");
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadPem(files.ca, kCertificate, "certificate");
  if (!ca.ok()) return ca.status();
  return TlsPem{*std::move(cert), *std::move(key), *std::move(ca)};
}

}  // namespace pathpair::agent
