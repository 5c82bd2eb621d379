#include "controller/screen/screen_model.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controller/report/trace/host_label.h"

namespace pathpair::screen {
namespace {

constexpr int kKeyResize = 0632;  // ncurses KEY_RESIZE, kept here so this file needs no curses
constexpr char kLevels[] = ".123456789>";  // stripchart: fastest '.' to slowest '>'
constexpr char kDensity[] = " .:-=+*#%@";  // histogram: empty to fullest bucket

std::string Clip(std::string line, int width) {
  if (width <= 0) return "";
  if (static_cast<int>(line.size()) > width) line.resize(static_cast<size_t>(width));
  return line;
}

std::string Center(const std::string& text, int width) {
  const int pad = std::max(0, (width - static_cast<int>(text.size())) / 2);
  return Clip(std::string(static_cast<size_t>(pad), ' ') + text, width);
}

formats::FieldList FieldsFor(const ScreenState& state, const formats::FieldList& latency) {
  if (state.jitter) {
    absl::StatusOr<formats::FieldList> jitter = formats::ParseFieldSpec(formats::kJitterFields);
    if (jitter.ok()) return *jitter;
  }
  if (!latency.empty()) return latency;
  absl::StatusOr<formats::FieldList> fields = formats::ParseFieldSpec(formats::kLatencyFields);
  return fields.ok() ? *fields : formats::FieldList{};
}

std::string HopName(const v1::HopResult& hop, const ScreenState& state, bool show_ips) {
  return formats::HopHostLabel(hop,
                               formats::LabelOptions{.use_names = state.dns, .show_ips = show_ips});
}

}  // namespace

KeyAction HandleKey(ScreenState& state, int key) {
  if (key == kKeyResize || key < 0) return KeyAction::kNone;
  if (state.help) {
    // Any key leaves the help page; q still quits from it.
    state.help = false;
    return key == 'q' || key == 'Q' ? KeyAction::kQuit : KeyAction::kNone;
  }
  switch (key) {
    case 'q':
    case 'Q':
    case 3:  // Ctrl-C when the terminal is raw
      return KeyAction::kQuit;
    case '?':
    case 'h':
    case 'H':
      state.help = true;
      return KeyAction::kNone;
    case 'd':
    case 'D':
      state.mode = state.mode == DisplayMode::kStatistics   ? DisplayMode::kStripchart
                   : state.mode == DisplayMode::kStripchart ? DisplayMode::kHistogram
                                                            : DisplayMode::kStatistics;
      return KeyAction::kNone;
    case 'j':
    case 'J':
      state.jitter = !state.jitter;
      return KeyAction::kNone;
    case 'n':
    case 'N':
      state.dns = !state.dns;
      return KeyAction::kDnsChanged;
    case 'r':
    case 'R':
      return KeyAction::kReset;
    case 'p':
    case 'P':
    case ' ':
      state.paused = !state.paused;
      return KeyAction::kPauseChanged;
    default:
      return KeyAction::kNone;
  }
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

const std::deque<std::optional<double>>* ScreenModel::Samples(size_t source, int ttl) const {
  if (source >= history_.size()) return nullptr;
  auto it = history_[source].find(ttl);
  return it == history_[source].end() ? nullptr : &it->second.samples;
}

std::vector<std::string> ScreenModel::Table(const ScreenState& state, size_t /*source*/,
                                            const v1::TraceResult& snapshot, int width) const {
  const formats::FieldList fields = FieldsFor(state, options_.fields);
  const int name_width = std::max(12, width - 4 - formats::FieldsWidth(fields) - 1);
  std::vector<std::string> lines;
  const std::string titles = formats::FormatFieldTitles(fields);
  // mtr's group titles above the columns.
  lines.push_back(Clip(absl::StrFormat("%*s%s", 4 + name_width, "",
                                       state.jitter ? "       Packets  Pings / jitter"
                                                    : "  Packets               Pings"),
                       width));
  lines.push_back(Clip(absl::StrFormat(" Host%*s%s", name_width - 1, "", titles), width));
  for (const v1::HopResult& hop : snapshot.hops()) {
    std::string name = HopName(hop, state, options_.show_ips);
    if (static_cast<int>(name.size()) > name_width - 1)
      name.resize(static_cast<size_t>(name_width - 1));
    lines.push_back(
        Clip(absl::StrFormat("%2d. %-*s%s", hop.ttl(), name_width,
                             hop.responders().empty() ? "???" : name,
                             hop.responders().empty() && hop.received() == 0 && hop.sent() == 0
                                 ? std::string()
                                 : formats::FormatFieldCells(fields, hop)),
             width));
    for (int i = 1; i < hop.responders_size(); ++i) {
      lines.push_back(Clip(
          absl::StrCat("    ",
                       formats::HostLabel(hop.responders(i),
                                          {.use_names = state.dns, .show_ips = options_.show_ips})),
          width));
    }
  }
  return lines;
}

std::vector<std::string> ScreenModel::Chart(const ScreenState& state, size_t source,
                                            const v1::TraceResult& snapshot, int width) const {
  const int name_width = std::min(30, std::max(12, width / 3));
  const int chart_width = std::max(1, width - 4 - name_width - 1);
  double max_ms = 0.0;
  for (const v1::HopResult& hop : snapshot.hops()) {
    if (const auto* samples = Samples(source, hop.ttl())) {
      for (const auto& s : *samples) {
        if (s.has_value() && std::isfinite(*s)) max_ms = std::max(max_ms, *s);
      }
    }
  }
  if (max_ms <= 0.0) max_ms = 1.0;
  std::vector<std::string> lines;
  const bool strip = state.mode == DisplayMode::kStripchart;
  lines.push_back(Clip(
      absl::StrFormat(" Host%*s%s", name_width - 1, "",
                      strip ? " Latency of each probe, newest on the right"
                            : absl::StrFormat(" 0 ms%*s%.1f ms", chart_width - 13, "", max_ms)),
      width));
  for (const v1::HopResult& hop : snapshot.hops()) {
    std::string name = HopName(hop, state, options_.show_ips);
    if (static_cast<int>(name.size()) > name_width - 1)
      name.resize(static_cast<size_t>(name_width - 1));
    std::string row = absl::StrFormat("%2d. %-*s ", hop.ttl(), name_width, name);
    const auto* samples = Samples(source, hop.ttl());
    if (samples != nullptr && strip) {
      const size_t shown = std::min(samples->size(), static_cast<size_t>(chart_width));
      for (size_t i = samples->size() - shown; i < samples->size(); ++i) {
        const auto& s = (*samples)[i];
        if (!s.has_value()) {
          row += '?';
        } else {
          const int level = std::clamp(static_cast<int>(*s / max_ms * 10.0), 0, 10);
          row += kLevels[level];
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
  if (strip) {
    std::string legend = "Scale:";
    for (int i = 0; i < 10; ++i)
      absl::StrAppendFormat(&legend, "  %c <%.1f", kLevels[i], max_ms * (i + 1) / 10.0);
    lines.push_back(Clip(absl::StrCat(legend, " ms  ? lost"), width));
  } else {
    lines.push_back(
        Clip("Histogram: how many replies fell in each latency bucket ( . : - = + * # % @ = few to "
             "most)",
             width));
  }
  return lines;
}

std::vector<std::string> ScreenModel::Help() const {
  return {
      "Command:",
      "  ?|h     help (this page)",
      "  d       switching display mode: statistics, latency stripchart, latency histogram",
      "  j       toggle latency (LS NABWV) / jitter (DR AGJMXI) columns",
      "  n       toggle DNS on/off",
      "  r       reset all counters",
      "  p|space pause / resume",
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
  std::string keys =
      "Keys:  Help   Display mode   Restart statistics   Jitter   DNS   Pause   Quit";
  if (state.paused) keys += "   [paused]";
  lines.push_back(Clip(keys, width));
  if (state.help) {
    for (const std::string& l : Help()) lines.push_back(Clip(l, width));
  } else {
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
    }
  }
  if (static_cast<int>(lines.size()) > height) lines.resize(static_cast<size_t>(height));
  return lines;
}

}  // namespace pathpair::screen
