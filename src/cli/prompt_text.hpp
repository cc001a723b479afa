// Where `generate` gets its prompt (-p, -f FILE, -f - for stdin) and
// llama.cpp's -e: backslash escapes in the prompt.
#pragma once

#include <string>
#include <string_view>

namespace lowbit::cli {

// \n \r \t \\ \' \" \? \a \b \f \v \0 and \xNN (one or two hex digits)
// become the bytes they name; any other backslash stays as it is.
std::string process_escapes(std::string_view s);

// The text of `path`, or all of stdin for "-".
std::string read_prompt_file(const std::string& path);

}  // namespace lowbit::cli
