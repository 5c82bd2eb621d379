// The interactive screen's logic without the terminal: its state, what each key does, the
// per-hop history kept for the stripchart and histogram views, and the text of every line at a
// given terminal size. Pure and deterministic so that unit tests cover it; screen.h paints these
// lines with ncurses.
//
//   ScreenState state;
//   ScreenModel model(options);
//   model.Observe(0, snapshot);                       // after each new snapshot of source 0
//   KeyAction action = HandleKey(state, 'd');         // the view changes
//   std::vector<std::string> lines = model.Render(state, {snapshot}, 80, 24);
#ifndef PATHPAIR_CONTROLLER_SCREEN_SCREEN_MODEL_H_
#define PATHPAIR_CONTROLLER_SCREEN_SCREEN_MODEL_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/report/trace/field_spec.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::screen {

enum class DisplayMode { kStatistics, kStripchart, kHistogram };

struct ScreenState {
  DisplayMode mode = DisplayMode::kStatistics;
  bool jitter = false;  // `j`: mtr's jitter columns instead of the latency ones
  bool dns = true;      // `n`: names or addresses
  bool paused = false;  // `p` / space
  bool help = false;    // `?` / `h`: the help page is up (any key closes it)
};

// What the runner must do after a key, besides redrawing.
enum class KeyAction { kNone, kQuit, kReset, kPauseChanged, kDnsChanged };

// Applies one key (ncurses key code or character) to the state.
KeyAction HandleKey(ScreenState& state, int key);

struct ScreenModelOptions {
  std::string program = "pathpair";  // first line: "My traceroute [pathpair]" style title
  std::vector<std::string> titles;   // one per source, e.g. "forward: a -> b"
  formats::FieldList fields;         // latency columns; empty: mtr's "LS NABWV"
  bool show_ips = false;             // -b
  size_t history = 512;              // samples kept per hop for the charts
};

class ScreenModel {
 public:
  explicit ScreenModel(ScreenModelOptions options);

  // Records the probes that completed since the previous snapshot of `source` (a reply's RTT,
  // or a loss), for the stripchart and histogram.
  void Observe(size_t source, const v1::TraceResult& snapshot);
  // Forgets the history (the `r` key).
  void Reset();

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
  std::vector<std::string> Table(const ScreenState& state, size_t source,
                                 const v1::TraceResult& snapshot, int width) const;
  std::vector<std::string> Chart(const ScreenState& state, size_t source,
                                 const v1::TraceResult& snapshot, int width) const;
  std::vector<std::string> Help() const;

  ScreenModelOptions options_;
  std::vector<std::map<int, HopHistory>> history_;  // [source][ttl]
};

}  // namespace pathpair::screen

#endif  // PATHPAIR_CONTROLLER_SCREEN_SCREEN_MODEL_H_
