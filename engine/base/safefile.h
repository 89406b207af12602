// Reading and writing the files users name on the command line, safely
// whatever the path is: a regular file is replaced atomically, a device, a
// FIFO or standard output ("-") is written through, a symlink is followed to
// its target; reads refuse anything that is not a regular file of a sane size.
// No torch, no Qt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/error.h"

namespace pd {

// Largest run file (CSV or Chrome trace) the loaders read: 256 MiB, about
// six million CSV rows or a million trace events; parsing a trace holds a
// few times the file's size in memory.
constexpr std::uint64_t kMaxRunFileBytes = std::uint64_t{256} << 20;

// Writes `content` to `path`:
// - a regular file or a new path: through a temporary file in the same folder
//   that is renamed over it, so a failed write never leaves a partial file and
//   the previous file stays; stale temporaries of a killed writer go first;
// - a symlink: the same for its target (the link stays a link);
// - "-", /dev/stdout, a character device, a FIFO or a socket: written
//   through (no temporary), so output can be piped.
// Each write, the sync and the rename are checked; a failure throws Error
// naming the path and the cause.
void writeFileAtomic(const std::string& path, const std::string& content);

// Whether writeFileAtomic(path) can succeed as far as can be told before
// the data exists: not a folder, and the folder of a regular or new file
// exists and is writable; throws Error otherwise. Lets a long run fail
// before it starts.
void checkWritable(const std::string& path);

// True for the paths writeFileAtomic sends to standard output.
bool isStdoutPath(const std::string& path);

// Reads a whole regular file of at most `maxBytes`. FIFOs, devices and
// folders are refused without blocking. Throws Error naming the path and the
// cause.
std::string readFile(const std::string& path, std::uint64_t maxBytes = kMaxRunFileBytes);

// `text` with control bytes escaped (\r, \n, \t, \xNN), so that a message
// quoting a file's content or name stays one line and sends no escape
// sequence to the terminal. Longer than `maxBytes`: cut, with "...".
std::string printable(std::string_view text, std::size_t maxBytes = 200);

// Test seam: when set, writeFileAtomic calls it with the temporary file's
// path after the data is synced and before the rename. Not thread-safe; only
// tests set it.
extern void (*gBeforeAtomicRename)(const std::string& tempPath);

}  // namespace pd
