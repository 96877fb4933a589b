#pragma once
// The one representation of RPC parameters and header lists shared by the parameter codec, the
// signer and the transport: ordered (name, value) pairs, because repeated names and the caller's
// order must survive until canonicalization decides the order on the wire.

#include <string>
#include <utility>
#include <vector>

namespace alicloud {

using param_list = std::vector<std::pair<std::string, std::string>>;

}  // namespace alicloud
