"""Measurement: ``certlab bench`` (:mod:`~certlab.bench.core`, :mod:`~certlab.bench.notebooks`),
running one notebook with its wall time and peak memory (:mod:`~certlab.bench.execute`) and
``certlab demo`` (:mod:`~certlab.bench.demo`)."""
