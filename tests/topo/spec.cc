#include "tests/topo/spec.h"

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/status_macros.h"
#include "tests/textproto/text_proto.h"

namespace pathpair::topo {
namespace {

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

bool IsLowerAlnum(absl::string_view text, size_t max) {
  if (text.empty() || text.size() > max) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

// This host's real network: never inside a test topology.
bool IsHostNetwork(const IpAddress& a) {
  static const IpAddress kHostNetwork = *IpAddress::Parse("192.0.2.0");
  return a.SharesPrefix(kHostNetwork, 24);
}

// The first address of `a`'s subnet.
IpAddress NetworkOf(const InterfaceAddress& a) {
  std::array<uint8_t, 16> bytes{};
  const std::span<const uint8_t> in = a.address.bytes();
  for (size_t i = 0; i < in.size(); ++i) {
    const int bits = std::clamp(a.prefix_length - static_cast<int>(8 * i), 0, 8);
    bytes[i] = in[i] & static_cast<uint8_t>(0xff00 >> bits);
  }
  return a.address.is_v4() ? IpAddress::V4Bytes(std::span<const uint8_t, 4>(bytes.data(), 4))
                           : IpAddress::V6Bytes(bytes);
}

std::string SubnetText(const InterfaceAddress& a) {
  return absl::StrCat(NetworkOf(a).ToString(), "/", a.prefix_length);
}

// ---- Chain expansion ---------------------------------------------------------------------

// Hands out the chain's link subnets: the k-th /30 (or /31) of the IPv4 pool and the k-th /64 of
// the IPv6 pool, left end first.
class AddressPlan {
 public:
  static absl::StatusOr<AddressPlan> Create(const v1::Chain& chain) {
    AddressPlan plan;
    PATHPAIR_ASSIGN_OR_RETURN(
        plan.v4_pool_,
        InterfaceAddress::Parse(chain.ipv4_pool().empty() ? "198.51.100.0/24" : chain.ipv4_pool()));
    PATHPAIR_ASSIGN_OR_RETURN(
        plan.v6_pool_,
        InterfaceAddress::Parse(chain.ipv6_pool().empty() ? "2001:db8::/48" : chain.ipv6_pool()));
    plan.v4_prefix_ =
        chain.ipv4_link_prefix() == 0 ? 30 : static_cast<int>(chain.ipv4_link_prefix());
    if (!plan.v4_pool_.address.is_v4() || plan.v4_pool_.prefix_length > plan.v4_prefix_) {
      return Invalid("chain.ipv4_pool", "an IPv4 prefix no longer than the links' prefix");
    }
    if (plan.v4_prefix_ != 30 && plan.v4_prefix_ != 31) {
      return Invalid("chain.ipv4_link_prefix", "30 or 31");
    }
    if (!plan.v6_pool_.address.is_v6() || plan.v6_pool_.prefix_length > 64) {
      return Invalid("chain.ipv6_pool", "an IPv6 prefix of at most 64 bits");
    }
    plan.capacity_ = std::min<uint64_t>(
        uint64_t{1} << (plan.v4_prefix_ - plan.v4_pool_.prefix_length),
        plan.v6_pool_.prefix_length <= 48 ? uint64_t{1} << 16
                                          : uint64_t{1} << (64 - plan.v6_pool_.prefix_length));
    return plan;
  }

  uint64_t capacity() const { return capacity_; }

  // "ADDRESS/PREFIX" of end `right` of subnet number `k`, in `family`.
  std::string Address(uint64_t k, bool right, IpFamily family) const {
    if (family == IpFamily::kV4) {
      const uint32_t base =
          NetworkOf(v4_pool_).v4_host_order() + static_cast<uint32_t>(k << (32 - v4_prefix_));
      const uint32_t host = v4_prefix_ == 31 ? (right ? 1 : 0) : (right ? 2 : 1);
      return absl::StrCat(IpAddress::V4(base + host).ToString(), "/", v4_prefix_);
    }
    std::array<uint8_t, 16> bytes{};
    const IpAddress network = NetworkOf(v6_pool_);
    std::copy(network.bytes().begin(), network.bytes().end(), bytes.begin());
    uint64_t upper = 0;
    for (int i = 0; i < 8; ++i) upper = (upper << 8) | bytes[i];
    upper += k;
    for (int i = 7; i >= 0; --i, upper >>= 8) bytes[i] = static_cast<uint8_t>(upper);
    bytes[15] = right ? 2 : 1;
    return absl::StrCat(IpAddress::V6Bytes(bytes).ToString(), "/64");
  }

 private:
  InterfaceAddress v4_pool_;
  InterfaceAddress v6_pool_;
  int v4_prefix_ = 30;
  uint64_t capacity_ = 0;
};

std::string Bare(const std::string& address_with_prefix) {
  return address_with_prefix.substr(0, address_with_prefix.find('/'));
}

// Builds the chain into `out`. Node i of `layout.nodes` is the chain's position i.
class ChainBuilder {
 public:
  ChainBuilder(const v1::Chain& chain, const AddressPlan& plan, v1::Topology& out)
      : chain_(chain), plan_(plan), out_(out), n_(static_cast<int>(chain.routers())) {}

  absl::StatusOr<ChainLayout> Build() {
    PATHPAIR_RETURN_IF_ERROR(Check());
    layout_.nodes.push_back(kClient);
    for (int k = 1; k <= n_; ++k) layout_.nodes.push_back(absl::StrCat("r", k));
    layout_.nodes.push_back(kServer);
    for (int i = 0; i <= n_ + 1; ++i) {
      v1::Node* node = AddNode(layout_.nodes[i], i >= 1 && i <= n_);
      node->set_management(chain_.management() && (i == 0 || i == n_ + 1));
    }
    for (int i = 0; i <= n_; ++i) {
      layout_.links.push_back(Join(Position(i), "r", Position(i + 1), "l", WireFor(i)));
    }
    RoutesAlongTheChain();
    for (int d = 0; d < chain_.detours_size(); ++d) AddDetour(d);
    if (chain_.twin().router() != 0) AddTwin();
    AddLosses();
    return layout_;
  }

 private:
  absl::Status Check() const {
    if (n_ < 1 || n_ > 60) return Invalid("chain.routers", "1-60");
    const uint64_t needed = n_ + 1 + 2 * chain_.detours_size() + (chain_.twin().router() ? 2 : 0);
    if (needed > plan_.capacity()) {
      return Invalid("chain", absl::StrCat(needed, " links do not fit the address pools"));
    }
    std::vector<std::pair<int, int>> spans;
    for (int d = 0; d < chain_.detours_size(); ++d) {
      const v1::Detour& detour = chain_.detours(d);
      const int from = static_cast<int>(detour.from_router());
      const int to = static_cast<int>(detour.to_router());
      if (!(to < from && from <= n_ + 1)) {
        return Invalid(absl::StrCat("chain.detours[", d, "]"),
                       absl::StrCat("needs 0 <= to_router < from_router <= ", n_ + 1));
      }
      for (const auto& [a, b] : spans) {
        if (to < b && a < from) {
          return Invalid(absl::StrCat("chain.detours[", d, "]"), "overlaps another detour");
        }
      }
      spans.emplace_back(to, from);
    }
    const int twin = static_cast<int>(chain_.twin().router());
    if (twin != 0 && (twin < 2 || twin > n_)) {
      return Invalid("chain.twin.router", absl::StrCat("2..", n_));
    }
    for (int w = 0; w < chain_.wires_size(); ++w) {
      if (chain_.wires(w).link() > static_cast<uint32_t>(n_)) {
        return Invalid(absl::StrCat("chain.wires[", w, "].link"), absl::StrCat("0..", n_));
      }
    }
    for (int l = 0; l < chain_.losses_size(); ++l) {
      const v1::ChainLoss& loss = chain_.losses(l);
      const std::string where = absl::StrCat("chain.losses[", l, "]");
      if (loss.router() < 1 || loss.router() > static_cast<uint32_t>(n_)) {
        return Invalid(where + ".router", absl::StrCat("1..", n_));
      }
      if (loss.percent() < 1 || loss.percent() > 100) return Invalid(where + ".percent", "1-100");
    }
    return absl::OkStatus();
  }

  v1::Node* AddNode(const std::string& name, bool forwarding) {
    v1::Node* node = out_.add_nodes();
    node->set_name(name);
    node->set_forwarding(forwarding);
    nodes_[name] = out_.nodes_size() - 1;
    return node;
  }
  v1::Node& NodeNamed(const std::string& name) { return *out_.mutable_nodes(nodes_.at(name)); }
  const std::string& Position(int i) const { return layout_.nodes[i]; }

  const v1::ChainWire* WireFor(int link) const {
    for (const v1::ChainWire& w : chain_.wires()) {
      if (static_cast<int>(w.link()) == link) return &w;
    }
    return nullptr;
  }

  // Joins two nodes by a veth (or a wire) on the next subnet of the plan.
  ChainLink Join(const std::string& left, const std::string& left_if, const std::string& right,
                 const std::string& right_if, const v1::ChainWire* wire = nullptr) {
    const uint64_t k = next_subnet_++;
    v1::Interface a;
    v1::Interface b;
    a.set_node(left);
    a.set_name(left_if);
    b.set_node(right);
    b.set_name(right_if);
    for (IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
      a.add_addresses(plan_.Address(k, false, family));
      b.add_addresses(plan_.Address(k, true, family));
    }
    if (wire != nullptr) {
      v1::Wire* w = out_.add_wires();
      *w->mutable_a() = a;
      *w->mutable_b() = b;
      *w->mutable_a_to_b() = wire->forward();
      *w->mutable_b_to_a() = wire->reverse();
      w->set_seed(wire->seed());
    } else {
      v1::VethLink* link = out_.add_links();
      *link->mutable_a() = a;
      *link->mutable_b() = b;
    }
    auto end = [](const v1::Interface& i) {
      return ChainEnd{i.node(), i.name(), Bare(i.addresses(0)), Bare(i.addresses(1))};
    };
    return ChainLink{end(a), end(b)};
  }

  static std::string Subnet(const std::string& address) {
    return SubnetText(*InterfaceAddress::Parse(address));
  }

  void AddRoute(const std::string& node, const std::string& to, const std::string& via,
                uint32_t table = 0) {
    v1::Route* route = NodeNamed(node).add_routes();
    route->set_to(to);
    route->set_via(via);
    route->set_table(table);
  }
  // Routes both families of `link`'s subnets via `end`'s addresses.
  void RouteLinkVia(const std::string& node, const ChainLink& link, const ChainEnd& end) {
    AddRoute(node, Subnet(link.left.ipv4 + "/" + std::to_string(V4Prefix())), end.ipv4);
    AddRoute(node, Subnet(link.left.ipv6 + "/64"), end.ipv6);
  }
  void DefaultVia(const std::string& node, const ChainEnd& end, uint32_t table = 0) {
    AddRoute(node, "default", end.ipv4, table);
    AddRoute(node, "default", end.ipv6, table);
  }
  int V4Prefix() const {
    return chain_.ipv4_link_prefix() == 0 ? 30 : static_cast<int>(chain_.ipv4_link_prefix());
  }

  // The detour at `from` (if any) that takes traffic toward the client past `to`.
  const v1::Detour* DetourFrom(int from) const {
    for (const v1::Detour& d : chain_.detours()) {
      if (static_cast<int>(d.from_router()) == from) return &d;
    }
    return nullptr;
  }

  // Toward the server: default routes to the right neighbour (the server: to its left one).
  // Toward the client: each router sends the links left of its left neighbour to that neighbour,
  // except those a detour takes (see AddDetour).
  void RoutesAlongTheChain() {
    for (int i = 0; i <= n_ + 1; ++i) {
      const std::string& node = Position(i);
      if (i <= n_) DefaultVia(node, layout_.links[i].right);
      if (i == n_ + 1) DefaultVia(node, layout_.links[n_].left);
      if (i == 0 || i == n_ + 1) continue;
      const v1::Detour* detour = DetourFrom(i);
      const int first_kept = detour ? static_cast<int>(detour->to_router()) : 0;
      for (int link = first_kept; link <= i - 2; ++link) {
        RouteLinkVia(node, layout_.links[link], layout_.links[i - 1].left);
      }
    }
  }

  // A detour router between `to` and `from`. Traffic toward the client that reaches `from` goes
  // to the detour router, then to `to`: routes at `from` for what lies left of `to` (the links
  // left of it; for the client, the client's own addresses) and for the detour's link to `to`,
  // the same at the detour router via `to`, and routes for the two new links at every router
  // right of `from`.
  void AddDetour(int d) {
    const v1::Detour& detour = chain_.detours(d);
    const int from = static_cast<int>(detour.from_router());
    const int to = static_cast<int>(detour.to_router());
    const std::string router = absl::StrCat("d", d + 1);
    const std::string towards = router;  // the chain nodes' interface toward it
    AddNode(router, true);
    layout_.detour_routers.push_back(router);
    const ChainLink near = Join(Position(to), towards, router, "l");
    const ChainLink far = Join(router, "r", Position(from), towards);
    DefaultVia(router, far.right);
    RouteLinkVia(Position(from), near, far.left);
    if (to == 0) {
      const ChainEnd& client = layout_.links[0].left;
      for (const std::string& node : {Position(from), router}) {
        const ChainEnd& via = node == router ? near.left : far.left;
        AddRoute(node, client.ipv4 + "/32", via.ipv4);
        AddRoute(node, client.ipv6 + "/128", via.ipv6);
      }
    } else {
      for (int link = 0; link <= to - 1; ++link) {
        RouteLinkVia(Position(from), layout_.links[link], far.left);
        RouteLinkVia(router, layout_.links[link], near.left);
      }
    }
    for (int i = from + 1; i <= n_; ++i) {
      for (const ChainLink* link : {&near, &far}) {
        RouteLinkVia(Position(i), *link, layout_.links[i - 1].left);
      }
    }
  }

  // Router K-1 marks half of what arrives from the client side at random and sends the marked
  // packets (policy routing, table 100) through the twin.
  void AddTwin() {
    const int k = static_cast<int>(chain_.twin().router());
    const std::string twin = absl::StrCat("t", k);
    AddNode(twin, true);
    layout_.twin = twin;
    const ChainLink in = Join(Position(k - 1), "tw", twin, "l");
    const ChainLink out = Join(twin, "r", Position(k + 1), "tw");
    layout_.twin_end = in.right;
    DefaultVia(twin, out.right);
    for (int link = 0; link <= k - 2; ++link) RouteLinkVia(twin, layout_.links[link], in.left);
    v1::Node& before = NodeNamed(Position(k - 1));
    before.set_nftables(
        absl::StrCat(before.nftables(),
                     "table inet pptwin {\n"
                     "  chain prerouting {\n"
                     "    type filter hook prerouting priority -150; policy accept;\n"
                     "    iifname \"l\" meta mark set numgen random mod 2\n"
                     "  }\n"
                     "}\n"));
    v1::Rule* rule = before.add_rules();
    rule->set_fwmark(1);
    rule->set_table(100);
    DefaultVia(before.name(), in.right, 100);
  }

  // Interfaces of a chain router that lead toward the server.
  std::string ServerFacing(int router) const {
    const bool twin_next = static_cast<int>(chain_.twin().router()) == router + 1;
    return twin_next ? "{ \"r\", \"tw\" }" : "\"r\"";
  }

  void AddLosses() {
    std::map<int, std::string> rules;  // router -> nft rule lines
    for (const v1::ChainLoss& loss : chain_.losses()) {
      const int router = static_cast<int>(loss.router());
      const std::string drop = absl::StrCat(" numgen random mod 100 < ", loss.percent(), " drop\n");
      if (loss.direction() != v1::DIRECTION_REVERSE) {
        rules[router] += absl::StrCat("    oifname ", ServerFacing(router), drop);
      }
      if (loss.direction() != v1::DIRECTION_FORWARD) {
        rules[router] += absl::StrCat("    oifname != ", ServerFacing(router), drop);
      }
    }
    for (const auto& [router, lines] : rules) {
      v1::Node& node = NodeNamed(Position(router));
      node.set_nftables(absl::StrCat(node.nftables(),
                                     "table inet pploss {\n"
                                     "  chain forward {\n"
                                     "    type filter hook forward priority 0; policy accept;\n",
                                     lines, "  }\n}\n"));
    }
  }

  const v1::Chain& chain_;
  const AddressPlan& plan_;
  v1::Topology& out_;
  const int n_;
  ChainLayout layout_;
  std::map<std::string, int> nodes_;
  uint64_t next_subnet_ = 0;
};

// ---- Validation --------------------------------------------------------------------------

absl::Status CheckInterface(const v1::Interface& i, absl::string_view where,
                            const std::set<std::string>& nodes,
                            std::set<std::pair<std::string, std::string>>& names,
                            std::set<IpAddress>& addresses) {
  if (!nodes.count(i.node())) {
    return Invalid(absl::StrCat(where, ".node"), absl::StrCat("unknown node \"", i.node(), "\""));
  }
  const bool name_ok = !i.name().empty() && i.name().size() <= 15 &&
                       std::all_of(i.name().begin(), i.name().end(), [](char c) {
                         return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '_';
                       });
  if (!name_ok) return Invalid(absl::StrCat(where, ".name"), "1-15 of [A-Za-z0-9_-]");
  if (i.name() == "lo" || i.name() == kManagementInterface) {
    return Invalid(absl::StrCat(where, ".name"), absl::StrCat("\"", i.name(), "\" is reserved"));
  }
  if (!names.emplace(i.node(), i.name()).second) {
    return Invalid(absl::StrCat(where, ".name"),
                   absl::StrCat("node \"", i.node(), "\" has two interfaces \"", i.name(), "\""));
  }
  for (int k = 0; k < i.addresses_size(); ++k) {
    const std::string aw = absl::StrCat(where, ".addresses[", k, "]");
    absl::StatusOr<InterfaceAddress> a = InterfaceAddress::Parse(i.addresses(k));
    if (!a.ok()) return Invalid(aw, a.status().message());
    if (IsHostNetwork(a->address) || a->address.IsLoopback() || a->address.IsUnspecified()) {
      return Invalid(aw, absl::StrCat(i.addresses(k), " may not be used in a test topology"));
    }
    if (!addresses.insert(a->address).second) {
      return Invalid(aw, absl::StrCat(a->address.ToString(), " is used twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRoute(const v1::Route& r, absl::string_view where,
                        const std::set<std::string>& interfaces) {
  std::optional<IpFamily> family;
  auto family_of = [&](const std::string& text, absl::string_view field,
                       bool prefix) -> absl::Status {
    if (text.empty()) return absl::OkStatus();
    absl::StatusOr<IpAddress> a = absl::InvalidArgumentError("");
    if (prefix) {
      absl::StatusOr<InterfaceAddress> p = InterfaceAddress::Parse(text);
      if (p.ok()) a = p->address;
    } else {
      a = IpAddress::Parse(text);
    }
    const std::string fw = absl::StrCat(where, ".", field);
    if (!a.ok())
      return Invalid(fw, absl::StrCat("bad ", prefix ? "prefix" : "address", " \"", text, "\""));
    if (IsHostNetwork(*a)) return Invalid(fw, "not this host's network");
    if (family && *family != a->family()) return Invalid(fw, "of another family than the route");
    family = a->family();
    return absl::OkStatus();
  };
  if (r.to() != "default") PATHPAIR_RETURN_IF_ERROR(family_of(r.to(), "to", true));
  PATHPAIR_RETURN_IF_ERROR(family_of(r.via(), "via", false));
  PATHPAIR_RETURN_IF_ERROR(family_of(r.src(), "src", false));
  if (!family) return Invalid(where, "\"default\" needs via or src (they give the family)");
  if (r.via().empty() && r.dev().empty()) return Invalid(where, "needs via or dev");
  if (!r.dev().empty() && !interfaces.count(r.dev())) {
    return Invalid(absl::StrCat(where, ".dev"), absl::StrCat("no interface \"", r.dev(), "\""));
  }
  return absl::OkStatus();
}

// ---- Route lookup for ExpectedHops --------------------------------------------------------

struct Attachment {
  std::string node;
  std::string interface;
  InterfaceAddress address;
};

class RouteTable {
 public:
  explicit RouteTable(const v1::Topology& spec) : spec_(spec) {
    for (const v1::Interface* i : Interfaces(spec)) {
      for (const std::string& text : i->addresses()) {
        absl::StatusOr<InterfaceAddress> a = InterfaceAddress::Parse(text);
        if (a.ok()) attachments_.push_back({i->node(), i->name(), *a});
      }
    }
  }

  const Attachment* Owner(const IpAddress& a) const {
    for (const Attachment& at : attachments_) {
      if (at.address.address == a) return &at;
    }
    return nullptr;
  }

  struct Hop {
    std::string interface;
    IpAddress next;  // the gateway, or the destination itself when it is on link
  };
  // Longest-prefix match over the node's connected subnets and main-table routes.
  std::optional<Hop> Lookup(const std::string& node, const IpAddress& to) const {
    int best = -1;
    std::optional<Hop> hop;
    for (const Attachment& at : attachments_) {
      if (at.node == node && at.address.Covers(to) && at.address.prefix_length > best) {
        best = at.address.prefix_length;
        hop = Hop{at.interface, to};
      }
    }
    for (const v1::Node& n : spec_.nodes()) {
      if (n.name() != node) continue;
      for (const v1::Route& r : n.routes()) {
        if (r.table() != 0) continue;
        int length = 0;
        if (r.to() == "default") {
          const std::string& family_text = r.via().empty() ? r.src() : r.via();
          absl::StatusOr<IpAddress> f = IpAddress::Parse(family_text);
          if (!f.ok() || f->family() != to.family()) continue;
        } else {
          absl::StatusOr<InterfaceAddress> p = InterfaceAddress::Parse(r.to());
          if (!p.ok() || !p->Covers(to)) continue;
          length = p->prefix_length;
        }
        if (length <= best) continue;
        best = length;
        if (r.via().empty()) {
          hop = Hop{r.dev(), to};
        } else {
          const IpAddress via = *IpAddress::Parse(r.via());
          std::string interface = r.dev();
          for (const Attachment& at : attachments_) {
            if (interface.empty() && at.node == node && at.address.Covers(via)) {
              interface = at.interface;
            }
          }
          hop = Hop{interface, via};
        }
      }
    }
    return hop;
  }

  // The first address of `family` on the interface of `at`.
  std::optional<IpAddress> AddressOn(const Attachment& at, IpFamily family) const {
    for (const Attachment& other : attachments_) {
      if (other.node == at.node && other.interface == at.interface &&
          other.address.address.family() == family) {
        return other.address.address;
      }
    }
    return std::nullopt;
  }

  // The source address of what `node` sends to `to`: the first address of that family on the
  // interface its route leaves by.
  std::optional<IpAddress> SourceFor(const std::string& node, const IpAddress& to) const {
    std::optional<Hop> hop = Lookup(node, to);
    if (!hop) return std::nullopt;
    for (const Attachment& at : attachments_) {
      if (at.node == node && at.interface == hop->interface &&
          at.address.address.family() == to.family()) {
        return at.address.address;
      }
    }
    return std::nullopt;
  }

 private:
  const v1::Topology& spec_;
  std::vector<Attachment> attachments_;
};

}  // namespace

absl::StatusOr<InterfaceAddress> InterfaceAddress::Parse(absl::string_view text) {
  const size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" needs a /PREFIX"));
  }
  absl::StatusOr<IpAddress> address = IpAddress::Parse(text.substr(0, slash));
  int length = -1;
  if (!address.ok() || !absl::SimpleAtoi(text.substr(slash + 1), &length) || length < 0 ||
      length > (address->is_v4() ? 32 : 128)) {
    return absl::InvalidArgumentError(absl::StrCat("bad address/prefix \"", text, "\""));
  }
  return InterfaceAddress{*address, length};
}

bool InterfaceAddress::Covers(const IpAddress& other) const {
  return other.family() == address.family() && other.SharesPrefix(address, prefix_length);
}

absl::StatusOr<v1::Topology> ParseSpec(absl::string_view text, absl::string_view filename) {
  v1::Topology spec;
  PATHPAIR_RETURN_IF_ERROR(textproto::ParseTextOrJson(text, filename, &spec));
  return spec;
}

absl::StatusOr<v1::Topology> LoadSpecFile(const std::string& path) {
  PATHPAIR_ASSIGN_OR_RETURN(std::string text, textproto::ReadFile(path));
  return ParseSpec(text, path == "-" ? "<stdin>" : path);
}

std::vector<const v1::Interface*> Interfaces(const v1::Topology& spec) {
  std::vector<const v1::Interface*> out;
  for (const v1::VethLink& l : spec.links()) {
    out.push_back(&l.a());
    out.push_back(&l.b());
  }
  for (const v1::Wire& w : spec.wires()) {
    out.push_back(&w.a());
    out.push_back(&w.b());
  }
  for (const v1::Tun& t : spec.tuns()) out.push_back(&t.end());
  return out;
}

bool IsValidTopologyName(absl::string_view name) { return IsLowerAlnum(name, 10); }
bool IsValidNodeName(absl::string_view name) { return IsLowerAlnum(name, 12); }

std::string RandomTopologyName() {
  std::random_device random;
  return absl::StrFormat("pp%06x", random() & 0xffffff);
}

std::string NamespaceName(absl::string_view topology, absl::string_view node) {
  return absl::StrCat(topology, "-", node);
}

absl::StatusOr<Expanded> Expand(const v1::Topology& spec) {
  Expanded out;
  out.spec = spec;
  out.spec.clear_chain();
  if (out.spec.name().empty()) out.spec.set_name(RandomTopologyName());
  if (spec.has_chain()) {
    PATHPAIR_ASSIGN_OR_RETURN(AddressPlan plan, AddressPlan::Create(spec.chain()));
    ChainBuilder builder(spec.chain(), plan, out.spec);
    PATHPAIR_ASSIGN_OR_RETURN(out.chain, builder.Build());
  }
  if (out.spec.icmp_rate_limits() == v1::ICMP_RATE_LIMITS_UNSPECIFIED) {
    out.spec.set_icmp_rate_limits(v1::ICMP_RATE_LIMITS_KERNEL_DEFAULT);
  }
  for (v1::Node& node : *out.spec.mutable_nodes()) {
    if (node.icmp_rate_limits() == v1::ICMP_RATE_LIMITS_UNSPECIFIED) {
      node.set_icmp_rate_limits(out.spec.icmp_rate_limits());
    }
  }
  PATHPAIR_RETURN_IF_ERROR(Validate(out.spec));
  return out;
}

absl::Status Validate(const v1::Topology& spec) {
  if (!IsValidTopologyName(spec.name())) return Invalid("name", "1-10 characters of [a-z0-9]");
  std::set<std::string> nodes;
  for (int i = 0; i < spec.nodes_size(); ++i) {
    const std::string& name = spec.nodes(i).name();
    if (!IsValidNodeName(name)) {
      return Invalid(absl::StrCat("nodes[", i, "].name"), "1-12 characters of [a-z0-9]");
    }
    if (!nodes.insert(name).second) {
      return Invalid(absl::StrCat("nodes[", i, "].name"), absl::StrCat("\"", name, "\" twice"));
    }
  }
  std::set<std::pair<std::string, std::string>> names;
  std::set<IpAddress> addresses;
  auto check_pair = [&](const v1::Interface& a, const v1::Interface& b,
                        const std::string& where) -> absl::Status {
    PATHPAIR_RETURN_IF_ERROR(CheckInterface(a, where + ".a", nodes, names, addresses));
    PATHPAIR_RETURN_IF_ERROR(CheckInterface(b, where + ".b", nodes, names, addresses));
    if (a.node() == b.node()) return Invalid(where, "joins a node to itself");
    return absl::OkStatus();
  };
  for (int i = 0; i < spec.links_size(); ++i) {
    PATHPAIR_RETURN_IF_ERROR(
        check_pair(spec.links(i).a(), spec.links(i).b(), absl::StrCat("links[", i, "]")));
  }
  for (int i = 0; i < spec.wires_size(); ++i) {
    PATHPAIR_RETURN_IF_ERROR(
        check_pair(spec.wires(i).a(), spec.wires(i).b(), absl::StrCat("wires[", i, "]")));
  }
  for (int i = 0; i < spec.tuns_size(); ++i) {
    PATHPAIR_RETURN_IF_ERROR(CheckInterface(spec.tuns(i).end(), absl::StrCat("tuns[", i, "].end"),
                                            nodes, names, addresses));
  }
  for (int i = 0; i < spec.nodes_size(); ++i) {
    const v1::Node& node = spec.nodes(i);
    const std::string where = absl::StrCat("nodes[", i, "]");
    std::set<std::string> interfaces = {"lo"};
    if (node.management()) interfaces.insert(kManagementInterface);
    for (const auto& [owner, name] : names) {
      if (owner == node.name()) interfaces.insert(name);
    }
    for (int r = 0; r < node.routes_size(); ++r) {
      PATHPAIR_RETURN_IF_ERROR(
          CheckRoute(node.routes(r), absl::StrCat(where, ".routes[", r, "]"), interfaces));
    }
    for (int r = 0; r < node.rules_size(); ++r) {
      if (node.rules(r).table() == 0) {
        return Invalid(absl::StrCat(where, ".rules[", r, "].table"), "must be > 0");
      }
    }
    for (int s = 0; s < node.sysctls_size(); ++s) {
      const std::string& key = node.sysctls(s).key();
      if (key.empty() || key.find('/') != std::string::npos ||
          key.find("..") != std::string::npos) {
        return Invalid(absl::StrCat(where, ".sysctls[", s, "].key"), "a dotted sysctl name");
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<IpAddress>> ExpectedHops(const v1::Topology& spec,
                                                    absl::string_view from, const IpAddress& to) {
  const RouteTable table(spec);
  const std::string start(from);
  const std::optional<IpAddress> source = table.SourceFor(start, to);
  if (!source) {
    return absl::NotFoundError(absl::StrCat(from, " has no route to ", to.ToString()));
  }
  std::vector<IpAddress> hops;
  std::string node = start;
  std::set<std::string> seen = {node};
  while (hops.size() < 64) {
    const std::optional<RouteTable::Hop> hop = table.Lookup(node, to);
    const Attachment* next = hop ? table.Owner(hop->next) : nullptr;
    if (next == nullptr) {
      return absl::NotFoundError(absl::StrCat(node, " cannot forward to ", to.ToString()));
    }
    if (table.Owner(to) != nullptr && table.Owner(to)->node == next->node) {
      hops.push_back(to);
      return hops;
    }
    // Linux answers an IPv4 probe from the interface its route back to the prober leaves by,
    // and an IPv6 probe from the interface the probe came in on (checked with mtr on chains with
    // detours, where the two differ).
    const std::optional<IpAddress> reply =
        to.is_v4() ? table.SourceFor(next->node, *source) : table.AddressOn(*next, IpFamily::kV6);
    if (!reply) {
      return absl::NotFoundError(
          absl::StrCat(next->node, " has no route back to ", source->ToString()));
    }
    hops.push_back(*reply);
    if (!seen.insert(next->node).second) {
      return absl::FailedPreconditionError(absl::StrCat("routing loop at ", next->node));
    }
    node = next->node;
  }
  return absl::FailedPreconditionError("more than 64 hops");
}

}  // namespace pathpair::topo
