"""Student code in a worker: the only room where it runs.

The grader side (workers: start, talk to and end a worker; runner: a submission's code held in one, replayed
when it is lost) and the worker side (worker, confined by isolation, landlock and syscall_filter, forked by the
zygote), the one format between them (wire), what of a notebook is run (program, dataflow, syntax), and what is
left behind by a killed run (leftovers). Nothing here grades: it runs, and reports what came back.
"""
