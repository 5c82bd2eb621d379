#include "controller/subcommands/command_line.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/exit_codes.h"

namespace pathpair::subcommands {

absl::StatusOr<bool> ParseFlags(CLI::App& app, const std::vector<std::string>& args,
                                std::ostream& out) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses from the back
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return false;
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(absl::StrCat(e.what(), " (see ", app.get_name(), " --help)"));
  }
  return true;
}

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
      return kExitBadInput;
    case absl::StatusCode::kAborted:
      return kExitPartial;
    case absl::StatusCode::kCancelled:
      return kExitInterrupted;
    default:
      return kExitRuntimeError;
  }
}

int FinishCommand(absl::string_view command, const absl::Status& status, std::ostream& err) {
  if (!status.ok()) {
    for (absl::string_view line : absl::StrSplit(status.message(), '\n', absl::SkipEmpty())) {
      err << "pathpair " << command << ": " << line << "\n";
    }
  }
  return ExitCodeFor(status);
}

}  // namespace pathpair::subcommands
