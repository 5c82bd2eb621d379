#include "controller/fleet/fleet_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/net/ip_address.h"
#include "common/status/status_macros.h"
#include "controller/fleet/agent_hub.h"
#include "controller/paired/orchestrator.h"

namespace pathpair::fleet {
namespace {

// Errors carry the file's name and the node's line, so a message reads "fleet.yaml:7: ...".
class Reader {
 public:
  explicit Reader(absl::string_view name) : name_(name) {}

  absl::Status Error(const YAML::Node& node, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(name_, ":", Line(node), ": ", what));
  }
  static int Line(const YAML::Node& node) { return node.Mark().line + 1; }

  // A mapping whose keys are all in `allowed`.
  absl::Status CheckMap(const YAML::Node& node, std::initializer_list<absl::string_view> allowed,
                        absl::string_view what) const {
    if (!node.IsMap()) return Error(node, absl::StrCat(what, " must be a mapping"));
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) return Error(entry.first, "a key must be a plain word");
      const std::string key = entry.first.Scalar();
      bool known = false;
      for (absl::string_view a : allowed) known = known || a == key;
      if (!known) {
        std::vector<std::string> names(allowed.begin(), allowed.end());
        return Error(entry.first, absl::StrCat("unknown key '", key, "' in ", what,
                                               " (known: ", absl::StrJoin(names, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(const YAML::Node& node, absl::string_view key) const {
    if (!node.IsScalar()) return Error(node, absl::StrCat(key, " must be a single value"));
    return node.Scalar();
  }

  absl::StatusOr<bool> Bool(const YAML::Node& node, absl::string_view key) const {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      return Error(node, absl::StrCat(key, " must be true or false"));
    }
    return value;
  }

  absl::StatusOr<std::string> HostPort(const YAML::Node& node, absl::string_view key) const {
    PATHPAIR_ASSIGN_OR_RETURN(std::string value, String(node, key));
    if (absl::Status s = paired::SplitHostPort(value).status(); !s.ok()) {
      return Error(node, absl::StrCat(key, ": ", s.message()));
    }
    return value;
  }

 private:
  std::string name_;
};

absl::Status ReadSecurity(const Reader& r, const YAML::Node& node, SecurityConfig& out) {
  PATHPAIR_RETURN_IF_ERROR(
      r.CheckMap(node, {"insecure", "token_file", "tls_cert", "tls_key", "tls_ca"}, "security"));
  if (node["insecure"]) {
    PATHPAIR_ASSIGN_OR_RETURN(out.insecure, r.Bool(node["insecure"], "insecure"));
  }
  for (auto [key, into] :
       {std::pair{"token_file", &out.token_file}, std::pair{"tls_cert", &out.tls_cert},
        std::pair{"tls_key", &out.tls_key}, std::pair{"tls_ca", &out.tls_ca}}) {
    if (node[key]) {
      PATHPAIR_ASSIGN_OR_RETURN(*into, r.String(node[key], key));
    }
  }
  const bool any_tls = !out.tls_cert.empty() || !out.tls_key.empty() || !out.tls_ca.empty();
  const bool all_tls = !out.tls_cert.empty() && !out.tls_key.empty() && !out.tls_ca.empty();
  if (out.insecure && any_tls) {
    return r.Error(node, "security: insecure excludes tls_cert, tls_key and tls_ca");
  }
  if (!out.insecure && !all_tls) {
    return r.Error(node,
                   "security: agents need mutual TLS (tls_cert, tls_key and tls_ca), or "
                   "insecure: true for plaintext");
  }
  return absl::OkStatus();
}

absl::Status ReadAgents(const Reader& r, const YAML::Node& node, FleetConfig& config) {
  if (!node.IsSequence()) return r.Error(node, "agents must be a list");
  std::set<std::string> seen;
  for (const YAML::Node& entry : node) {
    PATHPAIR_RETURN_IF_ERROR(
        r.CheckMap(entry, {"name", "address", "target", "dial_in"}, "an agent"));
    AgentConfig agent;
    if (!entry["name"]) return r.Error(entry, "an agent needs a name");
    PATHPAIR_ASSIGN_OR_RETURN(agent.name, r.String(entry["name"], "name"));
    if (absl::Status valid = ValidateAgentName(agent.name); !valid.ok()) {
      return r.Error(entry["name"], absl::StrCat("'", agent.name, "': ", valid.message()));
    }
    if (!seen.insert(agent.name).second) {
      return r.Error(entry["name"], absl::StrCat("agent '", agent.name, "' is defined twice"));
    }
    if (entry["dial_in"]) {
      PATHPAIR_ASSIGN_OR_RETURN(agent.dial_in, r.Bool(entry["dial_in"], "dial_in"));
    }
    if (entry["address"]) {
      PATHPAIR_ASSIGN_OR_RETURN(agent.address, r.HostPort(entry["address"], "address"));
    }
    if (entry["target"]) {
      PATHPAIR_ASSIGN_OR_RETURN(agent.target, r.String(entry["target"], "target"));
      absl::StatusOr<IpAddress> parsed = IpAddress::Parse(agent.target);
      if (!parsed.ok()) {
        return r.Error(entry["target"],
                       absl::StrCat("target: '", agent.target, "' is not an IP address"));
      }
    }
    if (agent.dial_in == !agent.address.empty()) {
      return r.Error(entry, absl::StrCat("agent '", agent.name,
                                         "' needs either an address (HOST:PORT) or dial_in: true"));
    }
    config.agents.push_back(std::move(agent));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> AgentList(const Reader& r, const YAML::Node& node,
                                                   absl::string_view key) {
  if (!node.IsSequence()) return r.Error(node, absl::StrCat(key, " must be a list of agent names"));
  std::vector<std::string> names;
  for (const YAML::Node& item : node) {
    PATHPAIR_ASSIGN_OR_RETURN(std::string name, r.String(item, key));
    for (const std::string& earlier : names) {
      if (earlier == name)
        return r.Error(item, absl::StrCat(key, ": '", name, "' is listed twice"));
    }
    names.push_back(std::move(name));
  }
  return names;
}

absl::StatusOr<absl::Duration> Every(const Reader& r, const YAML::Node& node) {
  PATHPAIR_ASSIGN_OR_RETURN(const std::string text, r.String(node, "every"));
  absl::Duration every;
  if (!absl::ParseDuration(text, &every) || every < absl::Seconds(1) ||
      every != absl::Seconds(absl::ToInt64Seconds(every)) || every > absl::Hours(24 * 7)) {
    return r.Error(node, absl::StrCat("every: '", text,
                                      "' is not a whole number of seconds between 1s and 168h "
                                      "(e.g. 30s, 5m, 1h)"));
  }
  return every;
}

absl::Status ReadTests(const Reader& r, const YAML::Node& node, FleetConfig& config) {
  if (!node.IsSequence()) return r.Error(node, "tests must be a list");
  std::map<std::string, int> line_of_pair;
  for (const YAML::Node& entry : node) {
    PATHPAIR_RETURN_IF_ERROR(r.CheckMap(entry, {"between", "mesh", "every", "options"}, "a test"));
    if (!entry["between"] == !entry["mesh"]) {
      return r.Error(entry, "a test needs either between: [CLIENT, SERVER] or mesh: [AGENTS...]");
    }
    if (!entry["every"]) return r.Error(entry, "a test needs every: (e.g. 30s)");
    PATHPAIR_ASSIGN_OR_RETURN(const absl::Duration every, Every(r, entry["every"]));
    std::string options_text;
    if (entry["options"]) {
      PATHPAIR_ASSIGN_OR_RETURN(options_text, r.String(entry["options"], "options"));
    }
    if (options_text.find_first_of("\"'\\") != std::string::npos) {
      return r.Error(entry["options"], "options: flags are separated by spaces, without quotes");
    }
    const std::vector<std::string> args = absl::StrSplit(options_text, ' ', absl::SkipWhitespace());
    absl::StatusOr<subcommands::ScheduledTestOptions> options =
        subcommands::ParseScheduledTestOptions(args);
    if (!options.ok()) {
      return r.Error(entry["options"] ? entry["options"] : entry,
                     absl::StrCat("options: ", options.status().message()));
    }
    const bool mesh = static_cast<bool>(entry["mesh"]);
    const YAML::Node list = mesh ? entry["mesh"] : entry["between"];
    PATHPAIR_ASSIGN_OR_RETURN(const std::vector<std::string> names,
                              AgentList(r, list, mesh ? "mesh" : "between"));
    if (!mesh && names.size() != 2) {
      return r.Error(list, "between names two agents: [CLIENT, SERVER]");
    }
    if (mesh && names.size() < 2) return r.Error(list, "mesh names at least two agents");
    for (const std::string& name : names) {
      if (config.FindAgent(name) == nullptr) {
        config.warnings.push_back(absl::StrCat("line ", Reader::Line(list), ": agent '", name,
                                               "' is not in agents: its tests fail until it is"));
      }
    }
    for (size_t i = 0; i < names.size(); ++i) {
      for (size_t j = i + 1; j < names.size(); ++j) {
        ScheduledTest test;
        test.client = names[i];
        test.server = names[j];
        test.key =
            absl::StrCat(test.client, ">", test.server, "/", absl::ToInt64Seconds(every), "s");
        test.every = every;
        test.options_text = options_text;
        test.options = *options;
        test.line = Reader::Line(entry);
        const std::string unordered =
            absl::StrCat(std::min(test.client, test.server), "|",
                         std::max(test.client, test.server), "/", absl::ToInt64Seconds(every));
        if (auto [it, fresh] = line_of_pair.emplace(unordered, test.line); !fresh) {
          return r.Error(entry,
                         absl::StrCat("the pair ", test.client, " and ", test.server,
                                      " is already tested every ", absl::FormatDuration(every),
                                      " (line ", it->second, ")"));
        }
        config.tests.push_back(std::move(test));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

const AgentConfig* FleetConfig::FindAgent(absl::string_view name) const {
  for (const AgentConfig& agent : agents) {
    if (agent.name == name) return &agent;
  }
  return nullptr;
}

absl::StatusOr<FleetConfig> ParseFleetConfig(absl::string_view yaml, absl::string_view name) {
  const Reader r(name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(name, ":", e.mark.line + 1, ": ", e.msg));
  }
  FleetConfig config;
  try {
    PATHPAIR_RETURN_IF_ERROR(r.CheckMap(
        root, {"database", "listen", "http_listen", "security", "agents", "tests"}, "the config"));
    if (root["database"]) {
      PATHPAIR_ASSIGN_OR_RETURN(config.database, r.String(root["database"], "database"));
    }
    if (!config.database.empty() && !config.database.starts_with("sqlite:") &&
        !config.database.starts_with("postgresql://") &&
        !config.database.starts_with("postgres://")) {
      return r.Error(root["database"], "database: use sqlite:PATH or a postgresql:// URL");
    }
    if (root["listen"]) {
      PATHPAIR_ASSIGN_OR_RETURN(config.listen, r.HostPort(root["listen"], "listen"));
    }
    if (root["http_listen"]) {
      PATHPAIR_ASSIGN_OR_RETURN(config.http_listen, r.HostPort(root["http_listen"], "http_listen"));
    }
    if (!root["security"])
      return r.Error(root, "security: is missing (insecure: true, or TLS files)");
    PATHPAIR_RETURN_IF_ERROR(ReadSecurity(r, root["security"], config.security));
    if (!root["agents"]) return r.Error(root, "agents: is missing");
    PATHPAIR_RETURN_IF_ERROR(ReadAgents(r, root["agents"], config));
    if (root["tests"]) PATHPAIR_RETURN_IF_ERROR(ReadTests(r, root["tests"], config));
    for (const AgentConfig& agent : config.agents) {
      if (agent.dial_in && config.listen.empty()) {
        config.warnings.push_back(
            absl::StrCat("agent '", agent.name, "' dials in but the config has no listen:"));
      }
    }
  } catch (const YAML::Exception& e) {  // yaml-cpp throws on misuse; never crash on input
    return absl::InvalidArgumentError(absl::StrCat(name, ":", e.mark.line + 1, ": ", e.msg));
  }
  return config;
}

absl::StatusOr<FleetConfig> LoadFleetConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read config '", path, "'"));
  std::stringstream text;
  text << in.rdbuf();
  return ParseFleetConfig(text.str(), path);
}

}  // namespace pathpair::fleet
