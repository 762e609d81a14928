"""Run a filter program the way Spark's RDD.pipe and Hadoop Streaming run
it, without Spark or Hadoop: the input split into partitions, each piped
through its own process, the outputs gathered.

    python3 tests/cli/engines.py spark PARTS 'COMMAND' INPUT [--env K=V]... [--no-check]
    python3 tests/cli/engines.py hadoop MAPS 'MAPPER' INPUT WORKDIR [--file PATH]... [--env K=V]...

spark: what pyspark's RDD.pipe(command, env, checkCode=True) does for each
partition (pyspark/rdd.py): Popen(shlex.split(command), env=env) with
env={} unless given (so no PATH: a bare program name is not found), every
element written as str(element) + "\\n" from another thread, the output
lines read back with their newlines stripped; with checkCode a non-zero
exit fails the job ("Pipe function ... exited with error code N"),
without it an empty partition is all that shows. Partitions run at once
in separate processes, as on executors. Prints the gathered lines.

hadoop: a map-only streaming job (-numReduceTasks 0) as Hadoop runs it:
each map task in a task directory of its own under WORKDIR, where the
-file/-files files are linked (so the mapper names them without a path),
with the environment a task gets (PATH, and the job's settings as
variables, mapreduce_task_partition among them); each input line is fed
to the mapper as the value (TextInputFormat's byte-offset key is not
passed); a non-zero exit fails the task (stream.non.zero.exit.is.failure).
Each output line is split at its first tab into key and value, and
written to WORKDIR/out/part-0000N as KEY<TAB>VALUE. Prints the parts,
one after the other.

Exit status 0, or 1 with the engine's error on stderr.
"""

import os
import shlex
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor


def split(lines, parts):
    """Contiguous partitions, as textFile and FileInputFormat make them."""
    size = -(-len(lines) // parts) if lines else 0
    return [lines[i * size:(i + 1) * size] for i in range(parts)]


def spark_partition(command, env, check, elements):
    """pyspark RDD.pipe's func for one partition."""
    pipe = subprocess.Popen(shlex.split(command), env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)

    def pipe_objs(out):
        for obj in elements:
            out.write((str(obj).rstrip("\n") + "\n").encode("utf-8"))
        out.close()

    threading.Thread(target=pipe_objs, args=[pipe.stdin]).start()
    out = [x.rstrip(b"\n").decode("utf-8") for x in iter(pipe.stdout.readline, b"")]
    pipe.wait()
    if check and pipe.returncode:
        raise RuntimeError("Pipe function `%s' exited with error code %d"
                           % (command, pipe.returncode))
    return out


def hadoop_task(i, mapper, env, workdir, files, split_lines):
    task = os.path.join(workdir, "task_m_%06d" % i)
    os.makedirs(task)
    for f in files:  # -files: a link in the task's working directory
        os.symlink(os.path.abspath(f), os.path.join(task, os.path.basename(f)))
    task_env = dict(env, mapreduce_task_partition=str(i),
                    mapreduce_task_id="task_local_0001_m_%06d" % i)
    p = subprocess.run(shlex.split(mapper), env=task_env, cwd=task,
                       input="".join(line + "\n" for line in split_lines).encode("utf-8"),
                       stdout=subprocess.PIPE)
    if p.returncode:
        raise RuntimeError("PipeMapRed.waitOutputThreads(): subprocess failed with code %d"
                           % p.returncode)
    part = os.path.join(workdir, "out", "part-%05d" % i)
    with open(part, "wb") as f:
        for line in p.stdout.splitlines():
            key, tab, value = line.partition(b"\t")
            f.write(key + b"\t" + value + b"\n")
    return part


def main(argv):
    engine, n, command, path = argv[0], int(argv[1]), argv[2], argv[3]
    rest = argv[4:]
    workdir = None
    if engine == "hadoop":
        workdir, rest = rest[0], rest[1:]
    env, files, check = {}, [], True
    it = iter(rest)
    for a in it:
        if a == "--env":
            k, _, v = next(it).partition("=")
            env[k] = v
        elif a == "--file":
            files.append(next(it))
        elif a == "--no-check":
            check = False
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    parts = split(lines, n)
    try:
        with ThreadPoolExecutor(max_workers=n) as pool:
            if engine == "spark":
                outs = list(pool.map(lambda p: spark_partition(command, env, check, p), parts))
                for out in outs:
                    for line in out:
                        print(line)
            else:
                if not env:
                    env = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
                os.makedirs(os.path.join(workdir, "out"))
                outs = list(pool.map(lambda ip: hadoop_task(ip[0], command, env, workdir, files,
                                                            ip[1]), enumerate(parts)))
                for part in outs:
                    with open(part, encoding="utf-8") as f:
                        sys.stdout.write(f.read())
    except (RuntimeError, OSError) as e:
        print("%s: job failed: %s" % (engine, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
