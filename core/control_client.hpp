// The client side of the control socket: `conntrackd -k`, `-s`, `-i`...
// Sends one request code and copies the daemon's reply to a stream until
// the daemon closes the connection (reference-behaviour §5).
#pragma once

#include <cstdio>
#include <string>

namespace ctd {

// Returns the exit status: 0 once the reply has ended (even if it was
// empty), 1 when the daemon cannot be reached, with the reference's
// `can't connect: is conntrackd running? appropriate permissions?` logged
// as an error.  A reply is copied as it arrives, so a long dump streams.
int send_control_request(const std::string &socket_path, int request, std::FILE *out);

} // namespace ctd
