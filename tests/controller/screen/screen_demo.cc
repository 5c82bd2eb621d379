// screen_demo: the interactive screen fed by fake live traces, for the tmux test and for trying
// the screen without probing. Exit code: 0 after q (or when --seconds ran out), 128+signal
// after a signal.
//
//   screen_demo            one trace
//   screen_demo --paired   two (forward and reverse), as `pathpair test` will show them
#include <cstring>
#include <iostream>

#include "controller/screen/screen.h"
#include "tests/controller/screen/fake_trace_source.h"

int main(int argc, char** argv) {
  using namespace pathpair::screen;
  bool paired = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--paired") == 0) paired = true;
  }
  testing::FakeTraceSource forward("198.51.100.", absl::Milliseconds(100));
  testing::FakeTraceSource reverse("203.0.113.", absl::Milliseconds(100));
  std::vector<SnapshotSource> sources;
  auto source_of = [](testing::FakeTraceSource& fake, std::string title) {
    return SnapshotSource{std::move(title), [&fake] { return fake.Latest(); },
                          [&fake] { fake.Reset(); }, [&fake](bool p) { fake.SetPaused(p); }};
  };
  sources.push_back(source_of(forward, paired ? "forward: fakehost -> 198.51.100.5" : ""));
  if (paired) sources.push_back(source_of(reverse, "reverse: 203.0.113.5 -> fakehost"));
  ScreenOptions options;
  options.redraw_interval = absl::Milliseconds(100);
  absl::StatusOr<ScreenExit> exit = RunScreen(sources, options);
  if (!exit.ok()) {
    std::cerr << "screen_demo: " << exit.status().message() << "\n";
    return 1;
  }
  if (exit->reason == ScreenExit::Reason::kSignal) {
    std::cerr << "screen_demo: signal " << exit->signal << "\n";
    return 128 + exit->signal;
  }
  return 0;
}
