#include "controller/screen/screen.h"

#include <curses.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace pathpair::screen {
namespace {

std::atomic<int> g_signal{0};
std::atomic<bool> g_curses_active{false};

extern "C" void OnScreenSignal(int signal_number) { g_signal.store(signal_number); }

// exit() called anywhere while the screen is up still leaves a usable terminal.
extern "C" void RestoreAtExit() {
  if (g_curses_active.exchange(false)) endwin();
}

// Owns the terminal and the signal handlers for the screen's lifetime; the destructor puts
// both back, whichever way the screen is left (return, exception).
class TerminalSession {
 public:
  absl::Status Start() {
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
      return absl::FailedPreconditionError(
          "the interactive screen needs a terminal (use -r for a report)");
    }
    static std::atomic<bool> at_exit_registered{false};
    if (!at_exit_registered.exchange(true)) std::atexit(RestoreAtExit);
    g_signal.store(0);
    struct sigaction action {};
    action.sa_handler = OnScreenSignal;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: getch() returns at once so the loop sees the flag.
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &action, &previous_[i]);
    handlers_installed_ = true;
    screen_ = newterm(nullptr, stdout, stdin);
    if (screen_ == nullptr) {
      return absl::FailedPreconditionError("cannot start the screen: unknown terminal type (TERM)");
    }
    g_curses_active.store(true);
    cbreak();
    noecho();
    set_escdelay(25);  // Esc leaves a prompt at once, not after ncurses' default second
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    return absl::OkStatus();
  }

  ~TerminalSession() {
    if (g_curses_active.exchange(false)) endwin();
    if (screen_ != nullptr) delscreen(screen_);
    if (handlers_installed_) {
      for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &previous_[i], nullptr);
    }
  }

 private:
  static constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> previous_{};
  bool handlers_installed_ = false;
  SCREEN* screen_ = nullptr;
};

void Paint(const std::vector<std::string>& lines) {
  erase();
  for (size_t i = 0; i < lines.size(); ++i) {
    // The title and the column headers stand out, as in mtr.
    const bool bold = i == 0 || lines[i].rfind(" Host", 0) == 0 || lines[i].rfind("==", 0) == 0 ||
                      lines[i].rfind("Diagnosis:", 0) == 0 || lines[i].rfind("Keys:", 0) == 0;
    if (bold) attron(A_BOLD);
    mvaddnstr(static_cast<int>(i), 0, lines[i].c_str(), COLS);
    if (bold) attroff(A_BOLD);
  }
  refresh();
}

// `u` `t` `b` `i`: every source that can restarts probing with the changed options; the
// status line says what happened (or why not).
std::string ChangeProbing(const std::vector<SnapshotSource>& sources, KeyAction action,
                          const ScreenState& state) {
  std::string notice;
  for (const SnapshotSource& s : sources) {
    if (!s.modify_probe) continue;
    v1::ProbeOptions changed;
    const absl::Status done = s.modify_probe([&](v1::ProbeOptions& options) {
      ApplyProbeKey(action, state, options);
      changed = options;
    });
    notice = done.ok() ? absl::StrCat(DescribeProbeKey(action, changed), ": counters restarted")
                       : std::string(done.message());
  }
  return notice.empty() ? "this key cannot change how probes are sent here" : notice;
}

}  // namespace

absl::StatusOr<ScreenExit> RunScreen(const std::vector<SnapshotSource>& sources,
                                     const ScreenOptions& options) {
  ScreenModelOptions model_options = options.model;
  model_options.titles.clear();
  for (const SnapshotSource& s : sources) model_options.titles.push_back(s.title);
  // `z` / `y` show the column even for a source without the information ("AS???"), as mtr
  // does when its lookups fail.
  model_options.ip_info = [&sources](size_t source, const std::string& address, int field) {
    return source < sources.size() && sources[source].ip_info
               ? sources[source].ip_info(address, field)
               : std::string();
  };
  ScreenModel model(model_options);
  ScreenState state;
  state.dns = options.dns;
  state.jitter = options.jitter;
  state.mode = options.mode;
  state.mpls = options.mpls;
  state.ip_info = options.ip_info;

  TerminalSession terminal;
  if (absl::Status started = terminal.Start(); !started.ok()) return started;

  const int tick_ms =
      static_cast<int>(std::max<int64_t>(10, absl::ToInt64Milliseconds(options.redraw_interval)));
  timeout(tick_ms);
  ScreenExit result;
  std::vector<v1::TraceResult> snapshots(sources.size());
  bool redraw = true;
  absl::Time next_poll = absl::InfinitePast();
  for (;;) {
    if (const int sig = g_signal.load(); sig != 0) {
      result.reason = ScreenExit::Reason::kSignal;
      result.signal = sig;
      break;
    }
    const absl::Time now = absl::Now();
    if (now >= next_poll) {
      for (size_t i = 0; i < sources.size(); ++i) {
        if (sources[i].latest) snapshots[i] = sources[i].latest();
        model.Observe(i, snapshots[i]);
        if (sources[i].footer) model.SetFooter(i, sources[i].footer());
      }
      next_poll = now + options.redraw_interval;
      redraw = true;
    }
    if (redraw) {
      Paint(model.Render(state, snapshots, COLS, LINES));
      redraw = false;
    }
    if (options.done && options.done()) {
      result.reason = ScreenExit::Reason::kDone;
      break;
    }
    const int key = getch();
    if (key == ERR) continue;
    redraw = true;
    const KeyAction action = HandleKey(state, key);
    switch (action) {
      case KeyAction::kQuit:
        result.reason = ScreenExit::Reason::kQuitKey;
        result.state = state;
        return result;
      case KeyAction::kReset:
        for (const SnapshotSource& s : sources) {
          if (s.reset) s.reset();
        }
        model.Reset();
        next_poll = absl::InfinitePast();
        break;
      case KeyAction::kPauseChanged:
        for (const SnapshotSource& s : sources) {
          if (s.set_paused) s.set_paused(state.paused);
        }
        break;
      case KeyAction::kDnsChanged:
        if (options.on_dns_changed) options.on_dns_changed(state.dns);
        break;
      case KeyAction::kSwitchUdp:
      case KeyAction::kSwitchTcp:
      case KeyAction::kBitPatternChanged:
      case KeyAction::kIntervalChanged:
        state.notice = ChangeProbing(sources, action, state);
        model.Reset();
        next_poll = absl::InfinitePast();
        break;
      case KeyAction::kNone:
        break;
    }
  }
  result.state = state;
  return result;
}

}  // namespace pathpair::screen
