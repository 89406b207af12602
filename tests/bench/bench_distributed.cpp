// Benchmark of the distributed stages; every figure is measured
// in this run.
//   p2p      one-way latency and bandwidth of a message between two stages:
//            in-process (the threaded runtime's hand-over: a tensor moved
//            through a mutex-guarded mailbox) against Gloo between two
//            processes on this machine (c10d send/recv over loopback TCP,
//            what --backend gloo does), ping-pong, 1 KB to 8 MB.
//   run      samples/s of the default run (tutorial defaults, 1f1b) with
//            threads and with 4 local Gloo processes (--launch), and the
//            clock alignment's estimated error.
// Usage: bench_distributed [all|p2p|run] [run: path to pipedream-train]
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <vector>

#include "engine/base/json.h"
#include "engine/distributed/distributed.h"
#include "tests/error_test_util.h"

namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::int64_t> kSizes = {1 << 10,   4 << 10, 16 << 10, 64 << 10,
                                          256 << 10, 1 << 20, 4 << 20,  8 << 20};

int roundsFor(std::int64_t bytes) {
    return bytes <= (64 << 10) ? 400 : bytes <= (1 << 20) ? 60 : 20;
}

std::string sizeText(std::int64_t b) {
    if (b >= (1 << 20)) return std::to_string(b >> 20) + " MB";
    return std::to_string(b >> 10) + " KB";
}

// The threaded runtime's hand-over: one slot, a condition variable.
class Mailbox {
public:
    void put(torch::Tensor t) {
        std::lock_guard<std::mutex> lock(m_);
        q_.push_back(std::move(t));
        cv_.notify_all();
    }
    torch::Tensor take() {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return !q_.empty(); });
        torch::Tensor t = std::move(q_.front());
        q_.pop_front();
        return t;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<torch::Tensor> q_;
};

// Median one-way time (us) of `rounds` round trips of a tensor of `bytes`.
double inProcessOneWayUs(std::int64_t bytes, int rounds) {
    Mailbox there, back;
    std::thread echo([&] {
        for (int i = 0; i < rounds; ++i) back.put(there.take());
    });
    torch::Tensor t = torch::ones({bytes / 4});
    std::vector<double> us;
    for (int i = 0; i < rounds; ++i) {
        const auto a = Clock::now();
        there.put(t);
        t = back.take();
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count() / 2);
    }
    echo.join();
    std::nth_element(us.begin(), us.begin() + us.size() / 2, us.end());
    return us[us.size() / 2];
}

c10::intrusive_ptr<c10d::ProcessGroupGloo> group(int rank, int port) {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(port);
    so.isServer = rank == 0;
    so.numWorkers = 2;
    so.waitWorkers = false;
    so.timeout = std::chrono::seconds(30);
    auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
    auto opts = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(30));
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, 2, opts);
}

// Rank 1 (a child process): echoes every message back.
void glooEcho(int port) {
    auto pg = group(1, port);
    for (std::int64_t bytes : kSizes) {
        std::vector<torch::Tensor> t{torch::empty({bytes / 4})};
        for (int i = 0; i < roundsFor(bytes) + 5; ++i) {
            pg->recv(t, 0, 1)->wait();
            pg->send(t, 0, 2)->wait();
        }
    }
}

void p2p() {
    const int port = pd::freePort("127.0.0.1");
    // Fork before this process starts any of LibTorch's threads.
    const pid_t child = ::fork();
    if (child == 0) {
        glooEcho(port);
        std::_Exit(0);
    }
    at::set_num_threads(1);
    auto pg = group(0, port);
    std::printf("p2p: one-way time of one message between two stages (median of a ping-pong)\n");
    std::printf("%-8s %14s %14s %16s %16s %8s\n", "size", "in-process us", "gloo us",
                "in-process MB/s", "gloo MB/s", "ratio");
    for (std::int64_t bytes : kSizes) {
        const int rounds = roundsFor(bytes);
        const double local = inProcessOneWayUs(bytes, 400);  // cheap: always many rounds
        std::vector<torch::Tensor> t{torch::ones({bytes / 4})};
        std::vector<double> us;
        for (int i = 0; i < rounds + 5; ++i) {
            const auto a = Clock::now();
            pg->send(t, 1, 1)->wait();
            pg->recv(t, 1, 2)->wait();
            if (i >= 5)  // warm-up rounds left out
                us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count() /
                             2);
        }
        std::nth_element(us.begin(), us.begin() + us.size() / 2, us.end());
        const double gloo = us[us.size() / 2];
        const double mb = static_cast<double>(bytes) / (1 << 20);
        std::printf("%-8s %14.1f %14.1f %16.0f %16.0f %7.0fx\n", sizeText(bytes).c_str(), local,
                    gloo, mb / (local / 1e6), mb / (gloo / 1e6), gloo / local);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
}

std::string capture(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    ::pclose(p);
    return out;
}

pd::json::Value summary(const std::string& command) {
    const std::string out = capture(command);
    const auto brace = out.find('{');
    pd::json::Value v;
    if (brace == std::string::npos || errorOf([&] { v = pd::json::parse(out.substr(brace)); }))
        std::fprintf(stderr, "bench: no JSON summary from: %s\n", command.c_str());
    return v;
}

void runs(const std::string& train) {
    std::printf(
        "\nrun: default configuration (1f1b, 4 stages, 4 microbatches, 5 batches, batch "
        "32, 48 x 512), %u cores\n",
        std::thread::hardware_concurrency());
    std::printf("%-26s %12s %12s %18s\n", "backend", "samples/s", "makespan ms", "clock error us");
    double threads = 0;
    for (int i = 0; i < 2; ++i) {
        const bool gloo = i == 1;
        const pd::json::Value s =
            summary(train + (gloo ? " --backend gloo --launch" : "") + " --json 2>/dev/null");
        const double rate = pd::json::member(s, "samples_per_s").get<double>();
        if (!gloo) threads = rate;
        std::printf("%-26s %12.1f %12.1f %18s\n",
                    gloo ? "gloo, 4 local processes" : "threads, one process", rate,
                    pd::json::member(s, "training_s").get<double>() * 1000,
                    gloo ? pd::json::dump(pd::json::member(pd::json::member(s, "distributed"),
                                                           "clock_error_us"))
                               .c_str()
                         : "-");
        if (gloo && threads > 0) std::printf("gloo / threads samples/s: %.2f\n", rate / threads);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "all";
    std::string train = argc > 2 ? argv[2] : pd::trainExecutable();
    if (what == "p2p" || what == "all") p2p();
    if (what == "run" || what == "all") runs(train);
    return 0;
}
