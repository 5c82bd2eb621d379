// The operator's credential files as both ends of the Agent service read them: the TLS file
// triple (certificate, key, CA; deploy/make-certs.sh makes them), PEM checks with errors that
// name the file, and the bearer token file. The agent's server credentials (agent/service/
// agent_server.h) and every client's channel credentials (agent/client/agent_client.h) are built
// from ReadTlsPem.
//
//   PATHPAIR_ASSIGN_OR_RETURN(TlsPem pem, ReadTlsPem(TlsFiles{cert, key, ca}));
//   PATHPAIR_ASSIGN_OR_RETURN(std::string token, ReadTokenFile("/etc/pathpair/token"));
#ifndef PATHPAIR_AGENT_RPC_TLS_FILES_H_
#define PATHPAIR_AGENT_RPC_TLS_FILES_H_

#include <string>

#include "absl/status/statusor.h"

namespace pathpair::agent {

// PEM files of the operator's PKI.
struct TlsFiles {
  std::string cert;  // this side's certificate chain
  std::string key;   // its private key
  std::string ca;    // the CA that signs the other side's certificates
};

// The contents of TlsFiles, checked to look like PEM.
struct TlsPem {
  std::string cert;
  std::string key;
  std::string ca;
};

// Reads a whole file (certificates, keys, tokens; at most 1 MiB); errors name the file.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);
// A bearer token file: one line, surrounding whitespace removed, not empty.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);
// Reads the three files: InvalidArgument when one is not given or is not PEM, NotFound when one
// cannot be read.
absl::StatusOr<TlsPem> ReadTlsPem(const TlsFiles& files);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_RPC_TLS_FILES_H_
