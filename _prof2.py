import glob, time, cProfile, pstats
import numpy as np
from glovefast import dask_counting as d, Corpus
from glovefast.shared_dir import SharedDir
files = sorted(glob.glob('/tmp/dask_split/*.txt'))[:4]
t = time.time(); blob, counts = d.vocabulary_task(files, "k"); words = d._unpack(blob, len(counts)); print("vocab", time.time() - t)
c = Corpus()
remap, dictionary, wc = c._vocabulary(words, counts, True, 5, None, False)
kept = np.flatnonzero(remap >= 0)
vocab = (d._pack([words[k] for k in kept]), remap[kept], -3)
runs = SharedDir("/tmp/dask_runs"); runs.makedirs()
pr = cProfile.Profile(); pr.enable()
t = time.time(); res = d.count_task(0, files, 'k', vocab, {"n_words": len(dictionary), "window": 15, "harmonic": True, "symmetric": True}, runs); print("count", time.time() - t, res[1])
pr.disable(); pstats.Stats(pr).sort_stats("cumtime").print_stats(12)
