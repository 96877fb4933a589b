#pragma once
// Umbrella for generated model headers: everything a model, its validator and its operation traits
// need, and nothing from the transport (no Beast, Asio or OpenSSL).

#include <boost/describe.hpp>

#include <alicloud/core/clock.hpp>
#include <alicloud/core/error.hpp>
#include <alicloud/core/error_table.hpp>
#include <alicloud/core/json.hpp>
#include <alicloud/core/open_enum.hpp>
#include <alicloud/core/operation.hpp>
#include <alicloud/core/params.hpp>
#include <alicloud/core/result.hpp>
#include <alicloud/core/timestamp.hpp>
#include <alicloud/core/validation.hpp>
