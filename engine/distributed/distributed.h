// Distributed stages: one process per stage (rank = stage) over
// torch.distributed's c10d (Gloo; NCCL on CUDA builds), and the torch-free
// pieces around it: the wire protocol between ranks and one event
// collector, the collector, a rank's client, the local launcher and a Run
// over all of it. Nothing here includes torch or Qt.
//
// Topology of one run:
//   rank r (pipedream-train --backend gloo, one per stage) --TCP, text lines-->
//   collector (pipedream-train --launch, rank 0 under torchrun, or the GUI)
// The ranks exchange activations and gradients among themselves over the
// process group (engine/distributed/rank.cpp); only events and control go through the
// collector.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/parse.h"
#include "engine/config/options.h"
#include "engine/run/run.h"
#include "engine/schedule/events.h"

namespace pd {

// ---------------------------------------------------------------------------
// Wire protocol: one message per line, fields separated by single spaces,
// free text (host names, error messages, the option list) last and escaped
// (printable(), no newline). Version-checked in hello.
//
// rank -> collector
//   auth <proof|-> <rank_nonce>     first line: the answer to challenge
//   hello <protocol> <rank> <world> <pid> <host> <args...>   after welcome
//   ping <seq> <rank_us>                                     clock sync
//   clock <offset_us> <error_us>        collector_time = rank_time + offset
//   ready                                      warm-up done, waits for go
//   slot <batch> <stage> <mb> <op> <chunk> <version> <start_us> <end_us> <mismatch>
//   mem <stage> <time_us> <in_flight> <versions> <act_bytes> <stash_bytes>
//   ver <stage> <time_us> <version> <stashed,comma,separated|->
//   batch <batch> <stage> <loss_sum_part> <used> <after> <time_us>
//   eval <batch> <epoch> <train_us> <samples> <loss> <accuracy|->
//                          held-out figures, from the rank of the last part
//   held <stage> <next_action>                  answer to pause: where it stands
//   error <message>
//   done <cancelled> <failed> <batches_done> <time_us>       last line
// collector -> rank
//   challenge <nonce>          at once on accept: 32 random bytes as hex
//   welcome <proof|->          the auth was accepted
//   refused <why>               the hello was refused; the connection closes
//   pong <seq> <rank_us> <collector_us>
//   go <t0_collector_us>        time zero of the run, on the collector's clock
//   pause                        hold every action (frontier -1), answer held
//   frontier <slot>              paused; actions whose slot gate < slot may run
//   resume
//   cancel
// The run secret, proven both ways before anything else is said: the rank
// answers the challenge with HMAC-SHA256(secret, "pipedream-collector " +
// nonce) as hex, and sends a nonce of its own, which the collector answers
// in welcome with HMAC-SHA256(secret, "pipedream-rank " + rank_nonce): a
// stranger cannot pose as a rank, nor as the collector to a rank. With
// --no-secret both sides send "-" and accept only "-": a mixed run is
// refused with its reason. The secret itself never travels.
// Times: steady-clock microseconds. Every rank's run starts at the same
// instant T0 (sent with go, converted by the rank with its offset), so the
// ranks' event times are on one timeline, the collector's, without shifting.
// ---------------------------------------------------------------------------
constexpr int kWireProtocol = 2;  // 2: the run secret (challenge, auth, welcome)

// Set by the local launcher for its ranks: the rendezvous is a c10d
// FileStore at this path (in a directory only this user can enter) rather
// than a TCP store, so a local run opens no store port at all.
constexpr const char* kStoreFileVariable = "PIPEDREAM_STORE_FILE";

// The run secret (see EventCollector::setSecret): the launcher gives its
// ranks a new one in this variable, never on the command line (ps shows
// argv); ranks started by hand or by torchrun read it here or from
// --secret-file.
constexpr const char* kSecretVariable = "PIPEDREAM_SECRET";
constexpr std::size_t kMaxSecretBytes = 1024;

// A new run secret: 32 bytes from /dev/urandom as 64 hex digits. Throws
// ConfigError when /dev/urandom cannot be read.
std::string newRunSecret();

// This rank's run secret: --secret-file's first line (a regular file, not
// empty), else $PIPEDREAM_SECRET (`env`: getenv or a test's), trimmed;
// empty with --no-secret. ConfigError (one line) when there is none or it
// cannot be read ("ranks started by hand need a shared run secret: ...").
std::string readRunSecret(const RunOptions& options,
                          const std::function<const char*(const char*)>& env);

// In a rank's error when a peer stayed silent past --timeout ("rank 2 on
// hostB sent nothing for 300 s ..."). Such errors are consequences: the
// collector reports them after a rank that does not stop when told to,
// which is the one that hung.
constexpr const char* kSilentPeer = "sent nothing for";
// What a rank says when a peer's connection breaks under it: a consequence
// of that peer's death, which its own lost connection says first.
constexpr const char* kBrokenPeer = "failed (the process died or its connection broke)";

std::int64_t steadyNowUs();  // steady_clock::now() in microseconds since its epoch

// Host name of this machine (gethostname), "localhost" if unknown.
std::string hostName();

// A free TCP port on `host` (bound to 0 and released): for MASTER_PORT.
int freePort(const std::string& host);

// ---------------------------------------------------------------------------
// A rank's link to the collector: thread-safe EventSink (the runtime's
// workers call it) that sends every event as one line; control messages
// from the collector go to the handler, on the client's reader thread.
// ---------------------------------------------------------------------------
class RankClient : public EventSink {
public:
    struct Hello {
        int rank = 0;
        int world = 1;
        std::string host;               // hostName()
        int pid = 0;                    // getpid()
        std::vector<std::string> args;  // the run options as flags (toArgs)
        // The run secret, proven to the collector, which must prove it back;
        // empty: none (--no-secret), and the collector must ask for none.
        std::string secret;
    };
    struct Control {
        enum Kind { Pause, Frontier, Resume, Cancel } kind = Pause;
        int frontier = 0;
    };

    RankClient();
    ~RankClient() override;  // closes the connection, joins the reader
    RankClient(const RankClient&) = delete;
    RankClient& operator=(const RankClient&) = delete;

    // Connects to HOST:PORT (retrying until `timeout`), says hello and
    // measures the clock offset with 16 round trips (the one with the
    // shortest round trip wins; error = its half round trip), then sends it.
    // Throws Error: a bad address, no collector within `timeout`, a refusal.
    void connect(const std::string& hostPort, const Hello& hello,
                 std::chrono::milliseconds timeout);
    std::int64_t offsetUs() const;  // collector_time = local_time + offset
    std::int64_t errorUs() const;

    void setControlHandler(std::function<void(const Control&)> handler);

    // Warm-up done: sends ready and waits for go. Returns time zero on this
    // process's steady clock (T0 - offset), or nullopt when the collector
    // cancelled the run before it started; throws Error when not connected
    // or the connection is lost.
    std::optional<std::chrono::steady_clock::time_point> ready();

    void sendHeld(int stage, std::size_t nextAction);

    // EventSink. onBatch sends this rank's part (loss sum of its head part,
    // 0 elsewhere; versions of `stage`): set the stage with setStage first.
    void setStage(int stage);
    void onSlot(const SlotEvent& e) override;
    void onMemory(const MemoryEvent& e) override;
    void onBatch(const BatchEvent& e) override;
    void onVersion(const VersionEvent& e) override;
    void onEvaluation(const EvaluationEvent& e) override;
    void onFinished(const RunSummary& s) override;  // sends done, flushes
    void onError(const std::string& message) override;

    // False once the collector went away. Sends then do nothing, and a
    // rank held by a pause gets a Resume: nobody is left to send the next
    // frontier, and a lost collector must not stop the training.
    bool connected() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------
// The collector: listens, accepts one connection per rank, aligns clocks,
// merges the ranks' events into one EventSink (batch events merged across
// ranks: loss = sum of the parts, versions per stage from their ranks), and
// sends control to every rank.
// ---------------------------------------------------------------------------
class EventCollector {
public:
    struct RankInfo {
        int rank = 0;
        std::string host;
        int pid = 0;
        std::int64_t offsetUs = 0;
        std::int64_t errorUs = 0;
        bool connected = false;  // said hello, connection open
        bool finished = false;   // said done
        bool lost = false;       // connection closed without done
    };

    explicit EventCollector(EventSink& sink);
    ~EventCollector();  // closes everything, joins its threads
    EventCollector(const EventCollector&) = delete;
    EventCollector& operator=(const EventCollector&) = delete;

    // Listens on host:port (port 0: a free one; host "0.0.0.0": every
    // interface). Throws Error with one clear line (port in use, bad host).
    void listen(const std::string& host, int port);
    int port() const;

    // The run's world size and options, when known in advance (the
    // launcher); otherwise taken from the first hello (attach). A hello that
    // disagrees (world size, options, protocol, rank range, a rank already
    // connected) is refused: sent "refused <why>", closed and logged (setLog),
    // and the run goes on; a rank that never comes fails it at the connect
    // timeout, whose message quotes the refusal.
    void expect(int world, const RunOptions& options);
    // Where refused connections are logged (a hello that is not this run's:
    // wrong protocol, world, rank, options, a rank already connected; each
    // line names the connection and why). They never fail the run. Default:
    // stderr, "warning: event collector: ...". Set before listen().
    void setLog(std::function<void(const std::string&)> log);
    // The run secret every connection must prove it knows before anything
    // else of it is read (challenge-response, see the wire protocol): one
    // that does not, within the handshake deadline, is closed and logged
    // ("a connection from HOST:PORT sent no valid run secret"), and the run
    // goes on. Empty: no secret is asked (--no-secret; said once on the log
    // at listen()). Until it is set, every connection is refused. Set
    // before listen().
    void setSecret(std::string secret);
    // Attach: the largest run (its schedule and events, as estimated before
    // the run) a first hello may set up; default half the memory available.
    void setMemoryLimit(std::uint64_t bytes);
    // Called (on the collector's thread) once every rank said hello, with
    // the options the ranks run (attach uses it to set up its view).
    void setOnAllConnected(std::function<void(const RunOptions&)> callback);
    std::optional<RunOptions> options() const;
    int worldSize() const;  // 0 until known
    std::vector<RankInfo> ranks() const;
    // Largest clock error among the ranks (us), -1 before every rank synced.
    std::int64_t clockErrorUs() const;

    // Run-like control sent to every rank (see Run): before the ranks
    // connect, pause() makes them start paused at slot 0.
    void pause();
    void resume();
    void stepSlot();
    void stepBatch();
    void cancel();  // asks every rank to stop; returns at once
    bool paused() const;

    // Once every rank said done or was lost (an error and a finished event
    // have gone to the sink by then; a lost rank is an error "rank R on HOST:
    // the process died or lost its connection"). A rank that has not
    // connected within `connectTimeout` of listen() fails the run the same
    // way ("rank R did not connect within N s").
    // When the ranks' world is not known in advance (attach), the timeout
    // counts from the first hello instead.
    void setConnectTimeout(std::chrono::milliseconds timeout);
    // A rank known to be gone (its process exited; the launcher saw it):
    // fails the run at once with "rank R on HOST: <why>", unless the rank
    // said done. While its connection is still open, the collector first
    // reads what the rank sent before it exited (a done on its way wins).
    void markLost(int rank, const std::string& why);
    bool wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());
    bool finished() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------
// S local rank processes of `executable` (pipedream-train) with the rank
// flags added; their stdout and stderr forwarded line by line to `output`
// with a "[rank R] " prefix.
// ---------------------------------------------------------------------------
class LocalRanks {
public:
    using Output = std::function<void(int rank, bool isError, const std::string& line)>;
    // Called once per child, on the launcher's thread, after it exited and
    // its output was forwarded: its status as wait() reports it.
    using ExitHandler = std::function<void(int rank, int status)>;
    LocalRanks();
    ~LocalRanks();  // kills (SIGTERM, then SIGKILL after 2 s) and reaps what still runs
    LocalRanks(const LocalRanks&) = delete;
    LocalRanks& operator=(const LocalRanks&) = delete;

    // Starts `world` processes: executable args... --backend B --rank r
    // --world-size W --master-addr A --master-port P --events E. Throws
    // Error when one cannot start (the others are terminated).
    void start(const std::string& executable, const std::vector<std::string>& args, int world,
               const std::string& backend, const std::string& masterAddr, int masterPort,
               const std::string& events, Output output);
    void setOnExit(ExitHandler handler);  // before start()
    // NAME=VALUE variables the children get on top of this environment
    // (the store file, the run secret); before start().
    void setEnvironment(std::vector<std::string> variables);
    void terminate();  // SIGTERM (and SIGCONT) to every child still running
    void kill();       // SIGKILL to every child still running
    // Like wait(), for at most `timeout`: true once every child exited.
    bool waitFor(std::chrono::milliseconds timeout);
    // Waits for every child; their exit statuses (128 + signal when killed).
    std::vector<int> wait();
    // The worst: the first non-zero status in rank order, 0 when all are 0.
    static int worst(const std::vector<int>& statuses);
    std::vector<int> pids() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// ConfigError (one line: why not) unless `backend` (gloo, nccl) can run
// with this build.
void checkBackendAvailable(const std::string& backend);

// The pipedream-train executable beside the running one (/proc/self/exe).
std::string trainExecutable();

// ---------------------------------------------------------------------------
// A Run (run.h) over processes: `LocalProcesses` starts the S ranks itself
// (the GUI's "local processes (Gloo)" and pipedream-train --launch);
// `Attach` only listens on host:port for ranks started elsewhere
// (pipedream-train ... --events HOST:PORT). Events go to `sink` on the
// collector's threads, like TrainingRun's.
// ---------------------------------------------------------------------------
class DistributedRun : public Run {
public:
    struct Setup {
        enum Mode { LocalProcesses, Attach } mode = LocalProcesses;
        std::string executable;  // LocalProcesses: pipedream-train (trainExecutable())
        // The run secret the collector asks for: empty makes a new one
        // (secret()); ignored with options.noSecret. LocalProcesses hands it
        // to the ranks in $PIPEDREAM_SECRET.
        std::string secret;
        std::string listenHost = "127.0.0.1";  // collector address
        int listenPort = 0;                    // 0: a free one
        LocalRanks::Output output;             // LocalProcesses: the ranks' output lines
    };
    // Throws ConfigError for bad options or a port that cannot be listened on.
    DistributedRun(const RunOptions& options, EventSink& sink, const Setup& setup);
    ~DistributedRun() override;

    void start() override;  // LocalProcesses: spawns the ranks
    void pause() override;
    void resume() override;
    void stepSlot() override;
    void stepBatch() override;
    void cancel() override;
    bool paused() const override;
    bool wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::max()) override;
    bool finished() const override;

    EventCollector& collector();
    int port() const;  // where the collector listens
    // The run secret the ranks must know (empty with --no-secret): Attach
    // shows it in the command that starts a rank.
    const std::string& secret() const;
    // LocalProcesses: the ranks' exit statuses after wait(), worst first rank order.
    int exitStatus() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pd
