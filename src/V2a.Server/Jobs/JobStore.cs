using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace V2a.Server.Jobs;

/// <summary>
/// The durable job queue: one SQLite table (jobs.db in the data folder). Every change is committed before the
/// call returns (WAL journal, synchronous=FULL), so a crash loses nothing that a response already confirmed.
/// State changes are guarded: a job is claimed by one slot only and finishes at most once.
/// One connection serves the process, behind a lock (SQLite writes one at a time anyway).
/// </summary>
public sealed class JobStore : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Lock _gate = new();

    public JobStore(string databasePath)
    {
        _db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        _db.Open();
        Execute("PRAGMA journal_mode=WAL;");
        Execute("PRAGMA synchronous=FULL;");
        Execute("PRAGMA busy_timeout=5000;");
        Execute("""
            CREATE TABLE IF NOT EXISTS jobs (
                seq            INTEGER PRIMARY KEY AUTOINCREMENT,
                id             TEXT NOT NULL UNIQUE,
                status         TEXT NOT NULL,
                created        TEXT NOT NULL,
                started        TEXT,
                finished       TEXT,
                request        TEXT NOT NULL,
                progress_stage TEXT,
                progress_done  INTEGER NOT NULL DEFAULT 0,
                progress_total INTEGER NOT NULL DEFAULT 0,
                progress_detail TEXT,
                result         TEXT,
                error          TEXT,
                attempts       INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, seq);
            """);
    }

    /// <summary>Adds a queued job and returns it as stored.</summary>
    public JobRecord Add(string id, JobRequest request)
    {
        lock (_gate)
        {
            using var cmd = Command("INSERT INTO jobs(id, status, created, request) VALUES ($id, 'queued', $created, $request) RETURNING seq;");
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$created", Time(DateTimeOffset.UtcNow));
            cmd.Parameters.AddWithValue("$request", JsonSerializer.Serialize(request, JobJson.Options));
            cmd.ExecuteScalar();
        }

        return Get(id) ?? throw new InvalidOperationException($"job {id} vanished after insert");
    }

    public JobRecord? Get(string id)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT * FROM jobs WHERE id = $id;");
            cmd.Parameters.AddWithValue("$id", id);
            using var r = cmd.ExecuteReader();
            return r.Read() ? Read(r) : null;
        }
    }

    /// <summary>The newest jobs first.</summary>
    public IReadOnlyList<JobRecord> List(int limit)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT * FROM jobs ORDER BY seq DESC LIMIT $limit;");
            cmd.Parameters.AddWithValue("$limit", limit);
            using var r = cmd.ExecuteReader();
            var list = new List<JobRecord>();
            while (r.Read())
            {
                list.Add(Read(r));
            }

            return list;
        }
    }

    /// <summary>1 for the next job to run, 2 for the one after...; null when the job is not queued.</summary>
    public int? QueuePosition(JobRecord job)
    {
        if (job.Status != JobStatus.Queued)
        {
            return null;
        }

        lock (_gate)
        {
            using var cmd = Command("SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND seq < $seq;");
            cmd.Parameters.AddWithValue("$seq", job.Seq);
            return Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) + 1;
        }
    }

    public int Count(JobStatus status)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT COUNT(*) FROM jobs WHERE status = $status;");
            cmd.Parameters.AddWithValue("$status", Name(status));
            return Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Marks the oldest queued job running (one statement, so two slots never take the same job) and returns it.</summary>
    public JobRecord? ClaimNext()
    {
        string? id;
        lock (_gate)
        {
            using var cmd = Command("""
                UPDATE jobs SET status = 'running', started = $now, attempts = attempts + 1,
                                progress_stage = NULL, progress_done = 0, progress_total = 0, progress_detail = NULL, error = NULL
                WHERE seq = (SELECT seq FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1) AND status = 'queued'
                RETURNING id;
                """);
            cmd.Parameters.AddWithValue("$now", Time(DateTimeOffset.UtcNow));
            id = cmd.ExecuteScalar() as string;
        }

        return id is null ? null : Get(id);
    }

    /// <summary>
    /// At start-up: jobs left running by the previous process (stopped or crashed mid-generation) go back to the
    /// queue to run again; one already started <paramref name="maxAttempts"/> times is failed instead, so a video
    /// that crashes the process cannot crash it forever. Returns how many were re-queued.
    /// </summary>
    public int RecoverInterrupted(int maxAttempts)
    {
        lock (_gate)
        {
            using (var fail = Command("""
                UPDATE jobs SET status = 'failed', finished = $now,
                                error = 'the server stopped while generating this job ' || attempts || ' times; it is not tried again'
                WHERE status = 'running' AND attempts >= $max;
                """))
            {
                fail.Parameters.AddWithValue("$now", Time(DateTimeOffset.UtcNow));
                fail.Parameters.AddWithValue("$max", maxAttempts);
                fail.ExecuteNonQuery();
            }

            using var requeue = Command("UPDATE jobs SET status = 'queued', started = NULL WHERE status = 'running';");
            return requeue.ExecuteNonQuery();
        }
    }

    /// <summary>Ids of jobs deleted while running whose removal did not complete (a crash in between).</summary>
    public IReadOnlyList<string> CancelledIds()
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT id FROM jobs WHERE status = 'cancelled';");
            using var r = cmd.ExecuteReader();
            var ids = new List<string>();
            while (r.Read())
            {
                ids.Add(r.GetString(0));
            }

            return ids;
        }
    }

    /// <summary>Stores the latest progress of a running job.</summary>
    public void SetProgress(string id, JobProgress progress)
    {
        lock (_gate)
        {
            using var cmd = Command("""
                UPDATE jobs SET progress_stage = $stage, progress_done = $done, progress_total = $total, progress_detail = $detail
                WHERE id = $id AND status = 'running';
                """);
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$stage", progress.Stage);
            cmd.Parameters.AddWithValue("$done", progress.Done);
            cmd.Parameters.AddWithValue("$total", progress.Total);
            cmd.Parameters.AddWithValue("$detail", (object?)progress.Detail ?? DBNull.Value);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>running → done with its result. False when the job is no longer running (deleted meanwhile).</summary>
    public bool Complete(string id, JobResult result) =>
        Transition(id, "running", "done", "result", JsonSerializer.Serialize(result, JobJson.Options));

    /// <summary>running → failed with a one-line reason. False when the job is no longer running.</summary>
    public bool Fail(string id, string error) => Transition(id, "running", "failed", "error", error);

    /// <summary>running → queued, for a job interrupted by a shutdown: it runs again at the next start.</summary>
    public bool Requeue(string id)
    {
        lock (_gate)
        {
            using var cmd = Command("UPDATE jobs SET status = 'queued', started = NULL WHERE id = $id AND status = 'running';");
            cmd.Parameters.AddWithValue("$id", id);
            return cmd.ExecuteNonQuery() == 1;
        }
    }

    /// <summary>
    /// Deleting a job: a queued, finished or failed job's row is removed at once (returns its former status); a
    /// running one is marked cancelled (its slot stops it, then removes it). Null when there is no such job.
    /// </summary>
    public JobStatus? Delete(string id)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            JobStatus? status;
            using (var get = Command("SELECT status FROM jobs WHERE id = $id;"))
            {
                get.Transaction = tx;
                get.Parameters.AddWithValue("$id", id);
                status = get.ExecuteScalar() is string s ? Parse(s) : null;
            }

            if (status is null)
            {
                return null;
            }

            using (var change = Command(status is JobStatus.Running or JobStatus.Cancelled
                       ? "UPDATE jobs SET status = 'cancelled' WHERE id = $id;"
                       : "DELETE FROM jobs WHERE id = $id;"))
            {
                change.Transaction = tx;
                change.Parameters.AddWithValue("$id", id);
                change.ExecuteNonQuery();
            }

            tx.Commit();
            return status;
        }
    }

    /// <summary>Removes a row whatever its status (the last step of deleting a cancelled job).</summary>
    public void Remove(string id)
    {
        lock (_gate)
        {
            using var cmd = Command("DELETE FROM jobs WHERE id = $id;");
            cmd.Parameters.AddWithValue("$id", id);
            cmd.ExecuteNonQuery();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _db.Dispose();
        }
    }

    private bool Transition(string id, string from, string to, string column, string value)
    {
        lock (_gate)
        {
            using var cmd = Command($"UPDATE jobs SET status = '{to}', finished = $now, {column} = $value WHERE id = $id AND status = '{from}';");
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$now", Time(DateTimeOffset.UtcNow));
            cmd.Parameters.AddWithValue("$value", value);
            return cmd.ExecuteNonQuery() == 1;
        }
    }

    private SqliteCommand Command(string sql)
    {
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }

    private void Execute(string sql)
    {
        using var cmd = Command(sql);
        cmd.ExecuteNonQuery();
    }

    private static JobRecord Read(SqliteDataReader r)
    {
        string? Str(string name) => r.IsDBNull(r.GetOrdinal(name)) ? null : r.GetString(r.GetOrdinal(name));
        var stage = Str("progress_stage");
        var result = Str("result");
        return new JobRecord
        {
            Id = r.GetString(r.GetOrdinal("id")),
            Seq = r.GetInt64(r.GetOrdinal("seq")),
            Status = Parse(r.GetString(r.GetOrdinal("status"))),
            Created = ParseTime(Str("created"))!.Value,
            Started = ParseTime(Str("started")),
            Finished = ParseTime(Str("finished")),
            Request = JsonSerializer.Deserialize<JobRequest>(r.GetString(r.GetOrdinal("request")), JobJson.Options)!,
            Progress = stage is null ? null : new JobProgress(stage, r.GetInt64(r.GetOrdinal("progress_done")),
                r.GetInt64(r.GetOrdinal("progress_total")), Str("progress_detail")),
            Result = result is null ? null : JsonSerializer.Deserialize<JobResult>(result, JobJson.Options),
            Error = Str("error"),
            Attempts = r.GetInt32(r.GetOrdinal("attempts")),
        };
    }

    private static string Name(JobStatus status) => status.ToString().ToLowerInvariant();

    private static JobStatus Parse(string s) => Enum.Parse<JobStatus>(s, ignoreCase: true);

    private static string Time(DateTimeOffset t) => t.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset? ParseTime(string? s) =>
        s is null ? null : DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
