// StreamState is where one polled stream stands between pages and between runs. The sync
// runner stores it (as JSON text) in the same transaction as the page it follows, so after a
// crash a run picks up at the next page, and a finished read has moved the cursor to the
// newest record it saw.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace journeyd::poll {

// The next request of a paginated read, whatever the pagination kind.
struct PageToken {
  enum class Kind { kUrl, kToken, kNumber };
  Kind kind = Kind::kToken;
  std::string value;  // a URL, an opaque token, or a page number / offset in decimal
  friend bool operator==(const PageToken&, const PageToken&) = default;
};

struct StreamState {
  // The highest cursor value of reads that finished (or, for ordered streams, of committed
  // pages): the next run asks for records from here (less the lookback). "" before the first.
  std::string cursor;
  // The highest cursor value seen by the read under way; becomes `cursor` when it finishes.
  std::string pending;
  // Where the read under way continues, or (resume_from_last) where the next run starts.
  std::optional<PageToken> resume;
  // The {{cursor}} the read under way filters by. A resumed read must ask the same question
  // (an offset means nothing under another since_last_changed), so it is kept with `resume`.
  std::string read_from;
  friend bool operator==(const StreamState&, const StreamState&) = default;
};

std::string EncodeStreamState(const StreamState& state);
// kCorruption for text that is not a state this version wrote.
Result<StreamState> DecodeStreamState(std::string_view text);

}  // namespace journeyd::poll
