// The interactive screen, mtr's curses display for pathpair: a live table redrawn as new
// snapshots arrive, with mtr's keys (screen_model.h: ? help, d display mode, e MPLS, n DNS,
// r reset, o fields, j jitter, i interval, b bit pattern, u UDP, t TCP, y IP info, z AS,
// p pause, space resume, q quit). It shows one trace or several at once (both directions of a
// paired test, one block each), reading them through SnapshotSource so it knows nothing of
// probing; keys a source cannot serve (no modify_probe) say so on the status line.
//
// The terminal is restored on every way out: q, the `done` callback, SIGINT/SIGTERM/SIGHUP
// (reported in ScreenExit so the caller can exit 128+signal), an exception, and exit() from
// elsewhere (an atexit hook). A resize is handled (ncurses' KEY_RESIZE) and simply redraws.
//
//   SnapshotSource source{.title = "", .latest = [&] { return tracker.Latest(); },
//                         .reset = [&] { tracker.Reset(); },
//                         .set_paused = [&](bool p) { tracker.SetPaused(p); }};
//   ScreenOptions options;
//   options.done = [&] { return tracker.Finished(); };
//   absl::StatusOr<ScreenExit> exit = RunScreen({source}, options);
#ifndef PATHPAIR_CONTROLLER_SCREEN_SCREEN_H_
#define PATHPAIR_CONTROLLER_SCREEN_SCREEN_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/screen/screen_model.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::screen {

struct SnapshotSource {
  std::string title;  // shown above this source's table when non-empty (e.g. "forward: a -> b")
  // The latest snapshot; called from the screen's thread at every redraw, so it must be cheap
  // and thread-safe (copy out of a mutex-guarded slot the prober's callback fills).
  std::function<v1::TraceResult()> latest;
  std::function<void()> reset;           // `r`: restart statistics (may be empty)
  std::function<void(bool)> set_paused;  // `p`/space: stop/resume probing (may be empty)
  // `u` `t` `b` `i`: restart probing with the options `change` makes (e.g. apply ApplyProbeKey
  // to the current ones); an error is shown on the status line. May be empty.
  std::function<absl::Status(const std::function<void(v1::ProbeOptions&)>& change)> modify_probe;
  // Lines under the table (e.g. the diagnosis); called at each poll, so cheap. May be empty.
  std::function<std::vector<std::string>()> footer;
  // The -z / -y column's text for a responder address and field, "" while unknown (must not
  // block). May be empty: no column.
  std::function<std::string(const std::string& address, int field)> ip_info;
};

struct ScreenOptions {
  ScreenModelOptions model;  // titles are taken from the sources
  bool dns = true;           // initial state of `n`
  bool jitter = false;       // initial state of `j`
  DisplayMode mode = DisplayMode::kStatistics;
  bool mpls = false;  // initial state of `e` (-e)
  int ip_info = -1;   // initial -z / -y field; -1: none
  absl::Duration redraw_interval = absl::Milliseconds(200);
  std::function<void(bool dns)> on_dns_changed;  // e.g. stop starting lookups (may be empty)
  std::function<bool()> done;                    // true: leave the screen (may be empty)
};

struct ScreenExit {
  enum class Reason { kQuitKey, kSignal, kDone };
  Reason reason = Reason::kQuitKey;
  int signal = 0;     // with kSignal
  ScreenState state;  // the view when leaving (e.g. whether DNS was on)
};

// Takes over the terminal until the user quits, a signal arrives or done() is true. Errors:
// FailedPrecondition when stdin/stdout is not a terminal or ncurses cannot start (bad TERM).
absl::StatusOr<ScreenExit> RunScreen(const std::vector<SnapshotSource>& sources,
                                     const ScreenOptions& options);

}  // namespace pathpair::screen

#endif  // PATHPAIR_CONTROLLER_SCREEN_SCREEN_H_
