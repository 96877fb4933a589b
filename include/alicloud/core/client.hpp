#pragma once
// The generic client users construct: client_core plus the production defaults (beast_transport over
// HTTPS, the default credentials chain) and the asynchronous twin of call<Op>() for any Asio
// completion token. This header includes Asio and Beast; code that only builds requests or
// inspects models should include the model headers (or client_core.hpp with its own transport).
//
// Where asynchronous work runs (the library never starts a thread):
//   1. on the client's executor, when one was given to the constructor (e.g. a thread_pool or a
//      strand); the completion handler is then invoked through its associated executor;
//   2. otherwise on the completion handler's associated executor (bind_executor(...), the executor of
//      a use_awaitable coroutine), unless that is the system executor;
//   3. otherwise (a plain callback, use_future) on the calling thread, inside async_call(): the handler
//      has been invoked, or the future made ready, before async_call() returns.
// The work is the blocking call<Op>() (retries and their waits included), so in case 2 it occupies
// that executor's thread for the duration. Pass a pool executor to the client to keep an event loop free.
//
// Completion signature: void(alicloud::result<Response>). A single result argument keeps the full
// alicloud::error (service code, request id, violations) for every token: a callback receives the
// result, use_future yields std::future<result<Response>>, and `co_await ... use_awaitable` returns
// result<Response> without throwing.

#include <alicloud/core/beast_transport.hpp>
#include <alicloud/core/client_core.hpp>
#include <alicloud/core/credentials_http.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/system_executor.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace alicloud {

namespace detail {

/// True for the system executor and executors that forward to it (use_future's): posting to those
/// would run work on Asio's hidden system thread pool.
template <class Executor>
bool runs_on_system_context(const Executor& ex) {
  if constexpr (std::is_same_v<Executor, boost::asio::system_executor>) {
    return true;
  } else {
    const boost::asio::execution_context* mine = &boost::asio::query(ex, boost::asio::execution::context);
    const boost::asio::execution_context* system =
        &boost::asio::query(boost::asio::system_executor(), boost::asio::execution::context);
    return mine == system;
  }
}

template <class Op>
struct initiate_client_call;

}  // namespace detail

class client : public client_core {
 public:
  using executor_type = boost::asio::any_io_executor;

  /// Fills what the config leaves null (transport, credentials) with the production defaults. Throws
  /// alicloud::exception for an unusable configuration (see client_core).
  explicit client(client_config config = {}) : client_core(with_defaults(std::move(config))) {}
  /// As above; asynchronous calls run on `ex` (see the header comment).
  client(client_config config, executor_type ex) : client_core(with_defaults(std::move(config))), executor_(std::move(ex)) {}

  /// The executor given to the constructor; empty when none was.
  const executor_type& get_executor() const noexcept { return executor_; }

  /// Asynchronous call<Op>(). Completion signature void(result<typename Op::response_type>). The
  /// operation shares the client's state, so the client object itself may be destroyed meanwhile.
  /// Cancellation is not supported: a started call runs to completion (bounded by its deadline).
  template <class Op, class CompletionToken>
  auto async_call(typename Op::request_type request, CompletionToken&& token) const {
    using signature = void(result<typename Op::response_type>);
    return boost::asio::async_initiate<CompletionToken, signature>(detail::initiate_client_call<Op>{*this}, token, std::move(request));
  }

 private:
  static client_config with_defaults(client_config c) {
    if (!c.transport) {
      http::beast_transport_options o;
      o.allow_insecure_http = c.allow_insecure_http;
      c.transport = std::make_shared<http::beast_transport>(std::move(o));
    }
    if (!c.credentials) {
      default_chain_options o;
      o.env = c.env;
      if (c.clk) o.clk = c.clk;
      c.credentials = default_credentials_chain(std::move(o));
    }
    return c;
  }

  executor_type executor_;
};

namespace detail {

/// The initiation of client::async_call: holds a copy of the client, so the shared state outlives
/// the client object the call was started from.
template <class Op>
struct initiate_client_call {
  client self;

  template <class Handler>
  void operator()(Handler&& handler, typename Op::request_type request) const {
    using handler_type = std::decay_t<Handler>;
    using result_type = result<typename Op::response_type>;
    auto handler_ex = boost::asio::get_associated_executor(handler);
    auto complete = [](handler_type& h, const auto& ex, result_type r) {
      boost::asio::dispatch(ex, [h = std::move(h), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
    };
    auto run_on = [&](const auto& work_ex) {
      // Keeps the handler's execution context (e.g. an io_context's run()) alive while the work runs
      // elsewhere.
      auto tracked = boost::asio::prefer(handler_ex, boost::asio::execution::outstanding_work.tracked);
      boost::asio::post(work_ex, [self = self, request = std::move(request), h = handler_type(std::forward<Handler>(handler)),
                                  tracked = std::move(tracked), complete]() mutable {
        complete(h, tracked, self.template call<Op>(request));
      });
    };
    if (self.get_executor()) {
      run_on(self.get_executor());
    } else if (!runs_on_system_context(handler_ex)) {
      run_on(handler_ex);
    } else {
      handler_type h(std::forward<Handler>(handler));
      complete(h, handler_ex, self.template call<Op>(request));
    }
  }
};

}  // namespace detail

}  // namespace alicloud
