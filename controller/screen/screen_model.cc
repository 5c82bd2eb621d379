#include "controller/screen/screen_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "controller/report/trace/host_label.h"

namespace pathpair::screen {
namespace {

constexpr int kKeyResize = 0632;     // ncurses KEY_RESIZE, kept here so this file needs no curses
constexpr int kKeyBackspace = 0407;  // ncurses KEY_BACKSPACE
constexpr int kKeyEnter = 0527;      // ncurses KEY_ENTER
constexpr int kEscape = 27;
constexpr char kLevels[] = ".123456789>";  // stripchart with latency: fastest '.' to slowest '>'
constexpr char kDensity[] = " .:-=+*#%@";  // histogram: empty to fullest bucket
constexpr size_t kMaxTyped = 20;           // mtr's MAXFLD
constexpr double kMaxIntervalSeconds = 86400;
// mtr's stripchart without latency marks a reply slower than this share of the range (its
// scale[6]: (7/8)^2 of the way from the fastest to the slowest reply) with '>'.
constexpr double kSlowShare = 49.0 / 64.0;

// mtr's descriptions of the field letters, shown while `o` is being typed.
constexpr const char* kFieldHelp[] = {
    "<sp>: Space between fields", "L: Loss Ratio",      "D: Dropped Packets",
    "R: Received Packets",        "S: Sent Packets",    "N: Newest RTT(ms)",
    "B: Min/Best RTT(ms)",        "A: Average RTT(ms)", "W: Max/Worst RTT(ms)",
    "V: Standard Deviation",      "G: Geometric Mean",  "J: Current Jitter",
    "M: Jitter Mean/Avg.",        "X: Worst Jitter",    "I: Interarrival Jitter",
};

std::string Clip(std::string line, int width) {
  if (width <= 0) return "";
  if (static_cast<int>(line.size()) > width) line.resize(static_cast<size_t>(width));
  return line;
}

std::string Center(const std::string& text, int width) {
  const int pad = std::max(0, (width - static_cast<int>(text.size())) / 2);
  return Clip(std::string(static_cast<size_t>(pad), ' ') + text, width);
}

// Words joined into lines of at most `width` characters (a longer word is cut).
std::vector<std::string> Wrap(const std::vector<std::string>& words, int width) {
  std::vector<std::string> lines;
  std::string line;
  for (const std::string& word : words) {
    if (!line.empty() && static_cast<int>(line.size() + 2 + word.size()) > width) {
      lines.push_back(Clip(line, width));
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : "  ", word);
  }
  if (!line.empty()) lines.push_back(Clip(line, width));
  return lines;
}

formats::FieldList FieldsFor(const ScreenState& state, const formats::FieldList& latency) {
  const char* spec = nullptr;
  if (state.jitter) spec = formats::kJitterFields;
  if (spec == nullptr && !state.fields.empty()) spec = state.fields.c_str();
  if (spec == nullptr && !latency.empty()) return latency;
  if (spec == nullptr) spec = formats::kLatencyFields;
  absl::StatusOr<formats::FieldList> fields = formats::ParseFieldSpec(spec);
  return fields.ok() ? *fields : formats::FieldList{};
}

bool AcceptsForPrompt(PromptKind prompt, int key) {
  if (key < 32 || key > 126) return false;
  if (prompt == PromptKind::kFields) return formats::ParseFieldSpec(std::string(1, key)).ok();
  return absl::ascii_isdigit(static_cast<unsigned char>(key)) || key == '.';
}

// Enter on a prompt: the state takes the value, or the notice says why not.
KeyAction ApplyPrompt(ScreenState& state) {
  const PromptKind prompt = state.prompt;
  const std::string typed = state.typed;
  state.prompt = PromptKind::kNone;
  state.typed.clear();
  if (typed.empty()) return KeyAction::kNone;  // mtr: nothing typed changes nothing
  switch (prompt) {
    case PromptKind::kFields:
      if (!formats::ParseFieldSpec(typed).ok()) {
        state.notice = absl::StrCat("fields '", typed, "' not valid");
        return KeyAction::kNone;
      }
      state.fields = typed;
      state.jitter = false;
      return KeyAction::kNone;
    case PromptKind::kBitPattern: {
      int value = -1;
      auto [end, error] = std::from_chars(typed.data(), typed.data() + typed.size(), value);
      if (error != std::errc() || end != typed.data() + typed.size() || value < 0 || value > 255) {
        state.notice = absl::StrCat("bit pattern must be 0 to 255, not '", typed, "'");
        return KeyAction::kNone;
      }
      state.bit_pattern = value;
      return KeyAction::kBitPatternChanged;
    }
    case PromptKind::kInterval: {
      double seconds = 0;
      auto [end, error] = std::from_chars(typed.data(), typed.data() + typed.size(), seconds);
      if (error != std::errc() || end != typed.data() + typed.size() || !(seconds > 0) ||
          seconds > kMaxIntervalSeconds) {
        state.notice =
            absl::StrCat("interval must be a number of seconds above 0, not '", typed, "'");
        return KeyAction::kNone;
      }
      state.interval_us = std::max<int64_t>(1, std::llround(seconds * 1e6));
      return KeyAction::kIntervalChanged;
    }
    case PromptKind::kNone:
      break;
  }
  return KeyAction::kNone;
}

KeyAction HandlePromptKey(ScreenState& state, int key) {
  if (key == '\n' || key == '\r' || key == kKeyEnter) return ApplyPrompt(state);
  if (key == kEscape || key == 3) {  // Esc, or Ctrl-C in raw mode: leave the prompt
    state.prompt = PromptKind::kNone;
    state.typed.clear();
  } else if (key == kKeyBackspace || key == 127 || key == 8) {
    if (!state.typed.empty()) state.typed.pop_back();
  } else if (AcceptsForPrompt(state.prompt, key) && state.typed.size() < kMaxTyped) {
    state.typed.push_back(static_cast<char>(key));
  }
  return KeyAction::kNone;
}

KeyAction StartPrompt(ScreenState& state, PromptKind prompt) {
  state.prompt = prompt;
  state.typed.clear();
  return KeyAction::kNone;
}

// The status line while a value is typed; `fields` are the columns shown now.
std::string PromptLine(const ScreenState& state, const std::string& fields) {
  switch (state.prompt) {
    case PromptKind::kFields:
      return absl::StrCat("Fields: ", state.typed, "_   (now '", fields,
                          "'; Enter sets them, Esc cancels)");
    case PromptKind::kBitPattern:
      return absl::StrCat("Ping Bit Pattern: ", state.typed,
                          "_   (0 to 255; Enter sets it, Esc cancels)");
    case PromptKind::kInterval:
      return absl::StrCat("Interval : ", state.typed, "_   (seconds; Enter sets it, Esc cancels)");
    case PromptKind::kNone:
      break;
  }
  return "";
}

}  // namespace

DisplayMode DisplayModeFromMtr(int mode) {
  switch (mode) {
    case 1:
      return DisplayMode::kStripchart;
    case 2:
      return DisplayMode::kStripchartLatency;
    default:
      return DisplayMode::kStatistics;
  }
}

KeyAction HandleKey(ScreenState& state, int key) {
  if (key == kKeyResize || key < 0) return KeyAction::kNone;
  if (state.prompt != PromptKind::kNone) return HandlePromptKey(state, key);
  if (state.help) {
    // Any key leaves the help page; q still quits from it.
    state.help = false;
    return key == 'q' ? KeyAction::kQuit : KeyAction::kNone;
  }
  state.notice.clear();
  // mtr reads keys case-blind, but for Q.
  const int lower =
      key < 128 && key != 'Q' ? absl::ascii_tolower(static_cast<unsigned char>(key)) : key;
  switch (lower) {
    case 'q':
    case 3:  // Ctrl-C when the terminal is raw
      return KeyAction::kQuit;
    case 'Q':
      state.notice = "Q (type of service) cannot change while probing: restart with -Q";
      return KeyAction::kNone;
    case '?':
    case 'h':
      state.help = true;
      return KeyAction::kNone;
    case 'd':
      state.mode = state.mode == DisplayMode::kStatistics          ? DisplayMode::kStripchart
                   : state.mode == DisplayMode::kStripchart        ? DisplayMode::kStripchartLatency
                   : state.mode == DisplayMode::kStripchartLatency ? DisplayMode::kHistogram
                                                                   : DisplayMode::kStatistics;
      return KeyAction::kNone;
    case 'j':
      state.jitter = !state.jitter;
      return KeyAction::kNone;
    case 'n':
      state.dns = !state.dns;
      return KeyAction::kDnsChanged;
    case 'r':
      return KeyAction::kReset;
    case 'p':
      state.paused = !state.paused;
      return KeyAction::kPauseChanged;
    case ' ':
      if (!state.paused) return KeyAction::kNone;
      state.paused = false;
      return KeyAction::kPauseChanged;
    case 'e':
      state.mpls = !state.mpls;
      return KeyAction::kNone;
    case 'y':
      state.ip_info = state.ip_info < 0 ? 0 : (state.ip_info + 1) % kIpInfoFields;
      return KeyAction::kNone;
    case 'z':
      state.ip_info = state.ip_info < 0 ? 0 : -1;
      return KeyAction::kNone;
    case 'o':
      return StartPrompt(state, PromptKind::kFields);
    case 'b':
      return StartPrompt(state, PromptKind::kBitPattern);
    case 'i':
      return StartPrompt(state, PromptKind::kInterval);
    case 'u':
      return KeyAction::kSwitchUdp;
    case 't':
      return KeyAction::kSwitchTcp;
    default:
      return KeyAction::kNone;
  }
}

void ApplyProbeKey(KeyAction action, const ScreenState& state, v1::ProbeOptions& options) {
  const bool udp = options.protocol() == v1::PROTOCOL_UDP;
  const bool tcp = options.protocol() == v1::PROTOCOL_TCP;
  switch (action) {
    case KeyAction::kSwitchUdp:
      options.set_protocol(udp ? v1::PROTOCOL_ICMP : v1::PROTOCOL_UDP);
      break;
    case KeyAction::kSwitchTcp:
      options.set_protocol(tcp ? v1::PROTOCOL_ICMP : v1::PROTOCOL_TCP);
      break;
    case KeyAction::kBitPatternChanged:
      options.set_bit_pattern(state.bit_pattern);
      break;
    case KeyAction::kIntervalChanged:
      options.set_interval_us(state.interval_us);
      break;
    default:
      break;
  }
}

std::string DescribeProbeKey(KeyAction action, const v1::ProbeOptions& options) {
  switch (action) {
    case KeyAction::kSwitchUdp:
    case KeyAction::kSwitchTcp:
      return absl::StrCat("probing with ",
                          absl::AsciiStrToUpper(formats::ProtocolName(options.protocol())));
    case KeyAction::kBitPatternChanged:
      return absl::StrFormat("bit pattern 0x%02X", options.bit_pattern());
    case KeyAction::kIntervalChanged:
      return absl::StrFormat("interval %g s", static_cast<double>(options.interval_us()) / 1e6);
    default:
      return "";
  }
}

std::string FitHostLabel(const v1::Responder& responder, bool use_names, bool show_ips, int width) {
  const std::string& address = responder.address();
  const bool named = use_names && !responder.hostname().empty();
  if (!named) return address.empty() ? "???" : address;
  std::string name = responder.hostname();
  const std::string suffix =
      show_ips && !address.empty() ? absl::StrCat(" (", address, ")") : std::string();
  const int room = width - static_cast<int>(suffix.size());
  if (static_cast<int>(name.size()) <= room) return name + suffix;
  // Too long: the name gives way. Under -b a name with fewer than 4 characters left says
  // nothing, so the address stands alone.
  if (!suffix.empty() && room < 4) return address;
  if (room < 2) return address.empty() ? name.substr(0, 1) : address;
  name.resize(static_cast<size_t>(room - 1));
  return absl::StrCat(name, "~", suffix);
}

ScreenModel::ScreenModel(ScreenModelOptions options) : options_(std::move(options)) {}

void ScreenModel::Observe(size_t source, const v1::TraceResult& snapshot) {
  if (history_.size() <= source) history_.resize(source + 1);
  for (const v1::HopResult& hop : snapshot.hops()) {
    HopHistory& h = history_[source][hop.ttl()];
    const int64_t new_replies = std::max<int64_t>(0, hop.received() - h.received);
    const int64_t new_probes = std::max<int64_t>(0, hop.sent() - h.sent);
    const int64_t new_losses = std::max<int64_t>(0, new_probes - new_replies);
    // A snapshot only carries the latest RTT: several replies since the last one share it.
    for (int64_t i = 0; i < new_replies; ++i) h.samples.push_back(hop.rtt().last_ms());
    for (int64_t i = 0; i < new_losses; ++i) h.samples.push_back(std::nullopt);
    while (h.samples.size() > options_.history) h.samples.pop_front();
    h.sent = hop.sent();
    h.received = hop.received();
  }
}

void ScreenModel::Reset() { history_.clear(); }

void ScreenModel::SetFooter(size_t source, std::vector<std::string> lines) {
  if (footers_.size() <= source) footers_.resize(source + 1);
  footers_[source] = std::move(lines);
}

const std::deque<std::optional<double>>* ScreenModel::Samples(size_t source, int ttl) const {
  if (source >= history_.size()) return nullptr;
  auto it = history_[source].find(ttl);
  return it == history_[source].end() ? nullptr : &it->second.samples;
}

int ScreenModel::InfoWidth(const ScreenState& state) const {
  if (state.ip_info < 0 || !options_.ip_info) return 0;
  return static_cast<int>(formats::IpInfoColumn(state.ip_info, "").size());
}

std::string ScreenModel::InfoColumn(const ScreenState& state, size_t source,
                                    const v1::Responder& r) const {
  if (InfoWidth(state) == 0) return "";
  return formats::IpInfoColumn(
      state.ip_info,
      r.address().empty() ? std::string() : options_.ip_info(source, r.address(), state.ip_info));
}

int ScreenModel::NameColumnFloor(const ScreenState& state, const v1::TraceResult& snapshot) const {
  size_t longest = 3;  // "???"
  for (const v1::HopResult& hop : snapshot.hops()) {
    for (const v1::Responder& r : hop.responders()) longest = std::max(longest, r.address().size());
  }
  return InfoWidth(state) + static_cast<int>(longest) + 1;
}

std::vector<std::string> ScreenModel::Table(const ScreenState& state, size_t source,
                                            const v1::TraceResult& snapshot, int width) const {
  const formats::FieldList fields = FieldsFor(state, options_.fields);
  // The name column takes what the statistics leave, but never less than a whole address:
  // on a narrow terminal the statistics are cut on the right, never an address.
  const int name_width = std::max(
      {12, width - 4 - formats::FieldsWidth(fields) - 1, NameColumnFloor(state, snapshot)});
  const int label_width = name_width - InfoWidth(state) - 1;
  std::vector<std::string> lines;
  const std::string titles = formats::FormatFieldTitles(fields);
  // mtr's group titles above the columns.
  lines.push_back(Clip(absl::StrFormat("%*s%s", 4 + name_width, "",
                                       state.jitter ? "       Packets  Pings / jitter"
                                                    : "  Packets               Pings"),
                       width));
  lines.push_back(Clip(absl::StrFormat(" Host%*s%s", name_width - 1, "", titles), width));
  auto mpls_lines = [&](const v1::Responder& r) {
    if (!state.mpls) return;
    for (const std::string& l : formats::MplsReportLines(r)) {
      lines.push_back(Clip(absl::StrCat("    ", absl::StripLeadingAsciiWhitespace(l)), width));
    }
  };
  for (const v1::HopResult& hop : snapshot.hops()) {
    const bool silent = hop.responders().empty();
    const std::string label = silent ? std::string("???")
                                     : absl::StrCat(InfoColumn(state, source, hop.responders(0)),
                                                    FitHostLabel(hop.responders(0), state.dns,
                                                                 options_.show_ips, label_width));
    lines.push_back(Clip(absl::StrFormat("%2d. %-*s%s", hop.ttl(), name_width, label,
                                         silent && hop.received() == 0 && hop.sent() == 0
                                             ? std::string()
                                             : formats::FormatFieldCells(fields, hop)),
                         width));
    if (!silent) mpls_lines(hop.responders(0));
    for (int i = 1; i < hop.responders_size(); ++i) {
      lines.push_back(Clip(
          absl::StrCat("    ", InfoColumn(state, source, hop.responders(i)),
                       FitHostLabel(hop.responders(i), state.dns, options_.show_ips, width - 4)),
          width));
      mpls_lines(hop.responders(i));
    }
  }
  return lines;
}

std::vector<std::string> ScreenModel::Chart(const ScreenState& state, size_t source,
                                            const v1::TraceResult& snapshot, int width) const {
  const int name_width =
      std::max(std::min(30, std::max(12, width / 3)), NameColumnFloor(state, snapshot));
  const int label_width = name_width - InfoWidth(state) - 1;
  const int chart_width = std::max(1, width - 4 - name_width - 1);
  double max_ms = 0.0;
  double min_ms = -1.0;
  for (const v1::HopResult& hop : snapshot.hops()) {
    if (const auto* samples = Samples(source, hop.ttl())) {
      for (const auto& s : *samples) {
        if (!s.has_value() || !std::isfinite(*s)) continue;
        max_ms = std::max(max_ms, *s);
        min_ms = min_ms < 0 ? *s : std::min(min_ms, *s);
      }
    }
  }
  if (max_ms <= 0.0) max_ms = 1.0;
  if (min_ms < 0) min_ms = 0;
  const double slow_ms = min_ms + (max_ms - min_ms) * kSlowShare;
  const bool strip = state.mode != DisplayMode::kHistogram;
  const bool latency = state.mode == DisplayMode::kStripchartLatency;
  std::vector<std::string> lines;
  lines.push_back(Clip(
      absl::StrFormat(
          " Host%*s%s", name_width - 1, "",
          !strip    ? absl::StrFormat(" 0 ms%*s%.1f ms", std::max(0, chart_width - 13), "", max_ms)
          : latency ? std::string(" Latency of each probe, newest on the right")
                    : absl::StrFormat(" Last %d probes, newest on the right", chart_width)),
      width));
  for (const v1::HopResult& hop : snapshot.hops()) {
    const std::string label = hop.responders().empty()
                                  ? std::string("???")
                                  : absl::StrCat(InfoColumn(state, source, hop.responders(0)),
                                                 FitHostLabel(hop.responders(0), state.dns,
                                                              options_.show_ips, label_width));
    std::string row = absl::StrFormat("%2d. %-*s ", hop.ttl(), name_width, label);
    const auto* samples = Samples(source, hop.ttl());
    if (samples != nullptr && strip) {
      const size_t shown = std::min(samples->size(), static_cast<size_t>(chart_width));
      for (size_t i = samples->size() - shown; i < samples->size(); ++i) {
        const auto& s = (*samples)[i];
        if (!s.has_value()) {
          row += '?';
        } else if (latency) {
          row += kLevels[std::clamp(static_cast<int>(*s / max_ms * 10.0), 0, 10)];
        } else {
          row += *s > slow_ms ? '>' : '.';
        }
      }
    } else if (samples != nullptr) {
      std::vector<int> buckets(static_cast<size_t>(chart_width), 0);
      int fullest = 0;
      for (const auto& s : *samples) {
        if (!s.has_value()) continue;
        const int b =
            std::clamp(static_cast<int>(*s / max_ms * (chart_width - 1)), 0, chart_width - 1);
        fullest = std::max(fullest, ++buckets[static_cast<size_t>(b)]);
      }
      for (int count : buckets) {
        const int level = fullest == 0 || count == 0 ? 0 : 1 + (count * 8) / fullest;
        row += kDensity[std::min(level, 9)];
      }
    }
    lines.push_back(Clip(row, width));
  }
  // The legend names every mark the chart can show.
  std::vector<std::string> legend;
  if (latency) {
    legend.push_back("Scale:");
    for (int i = 0; i < 10; ++i) {
      legend.push_back(absl::StrFormat("%c <%.1f", kLevels[i], max_ms * (i + 1) / 10.0));
    }
    legend.push_back(absl::StrFormat("> %.1f ms (slowest)", max_ms));
    legend.push_back("? no reply");
    legend.push_back("blank: not probed yet");
  } else if (strip) {
    legend.push_back("Marks:");
    legend.push_back(". reply");
    legend.push_back(absl::StrFormat("> reply slower than %.1f ms", slow_ms));
    legend.push_back("? no reply");
    legend.push_back("blank: not probed yet");
  } else {
    legend.push_back(
        absl::StrFormat("Histogram: replies per latency bucket, 0 ms on the left to %.1f ms on "
                        "the right;",
                        max_ms));
    legend.push_back("blank: none");
    legend.push_back(". : - = + * # % @ few to most");
    legend.push_back("(lost probes are not counted)");
  }
  for (std::string& l : Wrap(legend, width)) lines.push_back(std::move(l));
  return lines;
}

std::vector<std::string> ScreenModel::Help() const {
  return {
      "Command:",
      "  ?|h     help",
      "  p|space pause probing (SPACE or p to resume)",
      "  d       switching display mode: statistics, stripchart, stripchart with latency,",
      "          latency histogram",
      "  e       toggle MPLS information on/off",
      "  n       toggle DNS on/off",
      "  r       reset all counters",
      "  o str   set the columns to display, default str='LS NABWV'",
      "  j       toggle latency(LS NABWV)/jitter(DR AGJMXI) stats",
      "  i <n>   set the ping interval to n seconds (restarts the counters)",
      "  b <c>   set ping bit pattern to c(0..255) (restarts the counters)",
      "  u       switch between ICMP ECHO and UDP datagrams (restarts the counters)",
      "  t       switch between ICMP ECHO and TCP (restarts the counters)",
      "  y       switching IP info: origin AS, prefix, country, registry, allocation date",
      "  z       toggle ASN info on/off",
      "  q       quit",
      "",
      "Press any key to go back.",
  };
}

std::vector<std::string> ScreenModel::Render(const ScreenState& state,
                                             const std::vector<v1::TraceResult>& snapshots,
                                             int width, int height) const {
  std::vector<std::string> lines;
  if (width <= 0 || height <= 0) return lines;
  lines.push_back(Center(absl::StrCat("My traceroute  [", options_.program, "]"), width));
  if (snapshots.size() == 1) {
    const v1::TraceResult& s = snapshots[0];
    lines.push_back(
        Clip(absl::StrCat(s.source_hostname().empty() ? s.source_address() : s.source_hostname(),
                          " -> ", s.options().target(),
                          s.target_address().empty() || s.target_address() == s.options().target()
                              ? ""
                              : absl::StrCat(" (", s.target_address(), ")"),
                          "   round ", s.rounds()),
             width));
  }
  if (state.prompt != PromptKind::kNone) {
    lines.push_back(
        Clip(PromptLine(state, formats::FieldSpecOf(FieldsFor(state, options_.fields))), width));
  } else {
    std::string keys =
        "Keys:  Help   Display mode   Restart statistics   Order of fields   Pause   Quit";
    if (state.paused) keys += "   [paused]";
    lines.push_back(Clip(keys, width));
  }
  if (!state.notice.empty()) lines.push_back(Clip(state.notice, width));
  if (state.help) {
    for (const std::string& l : Help()) lines.push_back(Clip(l, width));
  } else if (state.prompt == PromptKind::kFields) {
    lines.push_back("");
    for (const char* l : kFieldHelp) lines.push_back(Clip(absl::StrCat("  ", l), width));
  } else {
    const size_t header = lines.size();
    std::vector<std::string> footer;
    for (size_t i = 0; i < snapshots.size(); ++i) {
      if (i > 0) lines.push_back("");
      if (i < options_.titles.size() && !options_.titles[i].empty()) {
        lines.push_back(Clip(absl::StrCat("== ", options_.titles[i], " =="), width));
      }
      std::vector<std::string> block = state.mode == DisplayMode::kStatistics
                                           ? Table(state, i, snapshots[i], width)
                                           : Chart(state, i, snapshots[i], width);
      lines.insert(lines.end(), block.begin(), block.end());
      if (!snapshots[i].error().empty()) {
        lines.push_back(Clip(absl::StrCat("error: ", snapshots[i].error()), width));
      }
      if (i < footers_.size() && !footers_[i].empty()) {
        std::vector<std::string>& into = snapshots.size() == 1 ? footer : lines;
        into.push_back("");
        for (const std::string& l : footers_[i]) into.push_back(Clip(l, width));
      }
    }
    // One trace: its footer (the diagnosis) stays on a short terminal; the table gives way.
    if (!footer.empty()) {
      const size_t room = static_cast<size_t>(height) > footer.size()
                              ? static_cast<size_t>(height) - footer.size()
                              : 0;
      if (lines.size() > room) lines.resize(std::max(room, header));
      lines.insert(lines.end(), footer.begin(), footer.end());
    }
  }
  if (static_cast<int>(lines.size()) > height) lines.resize(static_cast<size_t>(height));
  return lines;
}

}  // namespace pathpair::screen
