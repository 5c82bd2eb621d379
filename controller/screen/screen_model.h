// The interactive screen's logic without the terminal: its state, what each key does, the
// per-hop history kept for the stripchart and histogram views, and the text of every line at a
// given terminal size. Pure and deterministic so that unit tests cover it; screen.h paints these
// lines with ncurses.
//
//   ScreenState state;
//   ScreenModel model(options);
//   model.Observe(0, snapshot);                       // after each new snapshot of source 0
//   model.SetFooter(0, {"Diagnosis: HEALTHY ..."});   // lines under source 0's table
//   KeyAction action = HandleKey(state, 'd');         // the view changes
//   std::vector<std::string> lines = model.Render(state, {snapshot}, 80, 24);
//
// Keys are mtr 0.95's (its `?` page): ? h d e n r o j i b u t y z p space q. Keys that take a
// value (o fields, b bit pattern, i interval) read it on the status line until Enter (Esc
// cancels), as mtr does. u t b i change how probes are sent: the caller restarts probing with
// ApplyProbeKey's options.
#ifndef PATHPAIR_CONTROLLER_SCREEN_SCREEN_MODEL_H_
#define PATHPAIR_CONTROLLER_SCREEN_SCREEN_MODEL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/report/trace/field_spec.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::screen {

// `d` cycles through them in this order. The stripchart marks each probe: without latency a
// reply '.', a slow reply '>', a lost probe '?' (mtr's display mode 1); with latency one mark
// per latency level (mode 2).
enum class DisplayMode { kStatistics, kStripchart, kStripchartLatency, kHistogram };

// mtr's --displaymode numbers: 0 statistics, 1 stripchart, 2 stripchart with latency (others:
// statistics).
DisplayMode DisplayModeFromMtr(int mode);

// A value being typed after `o`, `b` or `i`.
enum class PromptKind { kNone, kFields, kBitPattern, kInterval };

// mtr's -y / `y` fields: origin AS, prefix, country, registry, allocation date.
inline constexpr int kIpInfoFields = 5;

struct ScreenState {
  DisplayMode mode = DisplayMode::kStatistics;
  bool jitter = false;  // `j`: mtr's jitter columns instead of the latency ones
  bool dns = true;      // `n`: names or addresses
  bool paused = false;  // `p` pauses probing, space (or p) resumes
  bool help = false;    // `?` / `h`: the help page is up (any key closes it)
  bool mpls = false;    // `e`: MPLS labels under their hop
  int ip_info = -1;     // `z` / `y`: the IP information field before names; -1: none
  std::string fields;   // `o`: the columns typed last; empty: the options' (or mtr's default)
  PromptKind prompt = PromptKind::kNone;
  std::string typed;        // the prompt's text so far
  int bit_pattern = 0;      // `b`: the value entered last (with kBitPatternChanged)
  int64_t interval_us = 0;  // `i`: the value entered last (with kIntervalChanged)
  std::string notice;       // one line about what the last key did (cleared by the next key)
};

// What the runner must do after a key, besides redrawing.
enum class KeyAction {
  kNone,
  kQuit,
  kReset,
  kPauseChanged,
  kDnsChanged,
  kSwitchUdp,          // `u`
  kSwitchTcp,          // `t`
  kBitPatternChanged,  // `b` then a value and Enter
  kIntervalChanged,    // `i` then a value and Enter
};

// Applies one key (ncurses key code or character) to the state.
KeyAction HandleKey(ScreenState& state, int key);

// The probe options after a probe key, as mtr changes them: `u` switches ICMP or TCP to UDP
// and UDP back to ICMP; `t` switches ICMP or UDP to TCP and TCP back to ICMP (the port stays);
// `b` and `i` set the bit pattern and interval entered. Other actions change nothing.
void ApplyProbeKey(KeyAction action, const ScreenState& state, v1::ProbeOptions& options);

// One line saying what ApplyProbeKey did, e.g. "probing with UDP".
std::string DescribeProbeKey(KeyAction action, const v1::ProbeOptions& options);

struct ScreenModelOptions {
  std::string program = "pathpair";  // first line: "My traceroute [pathpair]" style title
  std::vector<std::string> titles;   // one per source, e.g. "forward: a -> b"
  formats::FieldList fields;         // latency columns; empty: mtr's "LS NABWV"
  bool show_ips = false;             // -b
  size_t history = 512;              // samples kept per hop for the charts
  // The -z/-y column's text for a responder of `source` ("" while unknown); empty: no column.
  std::function<std::string(size_t source, const std::string& address, int field)> ip_info;
};

class ScreenModel {
 public:
  explicit ScreenModel(ScreenModelOptions options);

  // Records the probes that completed since the previous snapshot of `source` (a reply's RTT,
  // or a loss), for the stripchart and histogram.
  void Observe(size_t source, const v1::TraceResult& snapshot);
  // Forgets the history (the `r` key).
  void Reset();
  // Lines shown under `source`'s table (e.g. its diagnosis); kept when the terminal is short.
  void SetFooter(size_t source, std::vector<std::string> lines);

  // Every line of the screen, each at most `width` characters, at most `height` lines.
  std::vector<std::string> Render(const ScreenState& state,
                                  const std::vector<v1::TraceResult>& snapshots, int width,
                                  int height) const;

  // A hop's recorded samples (nullopt = lost), oldest first.
  const std::deque<std::optional<double>>* Samples(size_t source, int ttl) const;

 private:
  struct HopHistory {
    int64_t sent = 0;
    int64_t received = 0;
    std::deque<std::optional<double>> samples;
  };
  // The -z/-y column before a responder's name ("" without one).
  std::string InfoColumn(const ScreenState& state, size_t source, const v1::Responder& r) const;
  int InfoWidth(const ScreenState& state) const;
  // The width a block's name column needs at least: every address whole.
  int NameColumnFloor(const ScreenState& state, const v1::TraceResult& snapshot) const;
  std::vector<std::string> Table(const ScreenState& state, size_t source,
                                 const v1::TraceResult& snapshot, int width) const;
  std::vector<std::string> Chart(const ScreenState& state, size_t source,
                                 const v1::TraceResult& snapshot, int width) const;
  std::vector<std::string> Help() const;

  ScreenModelOptions options_;
  std::vector<std::map<int, HopHistory>> history_;  // [source][ttl]
  std::vector<std::vector<std::string>> footers_;   // [source]
};

// A responder's label in a column `width` wide: a host name is shortened (its end replaced by
// '~'), an address never is (it may then be wider than `width`). With show_ips, "name (addr)"
// keeps the whole address and shortens the name, or becomes the address alone.
std::string FitHostLabel(const v1::Responder& responder, bool use_names, bool show_ips, int width);

}  // namespace pathpair::screen

#endif  // PATHPAIR_CONTROLLER_SCREEN_SCREEN_MODEL_H_
