import glob, time, logging
from distributed import LocalCluster, Client, get_task_stream
from glovefast import Corpus
logging.basicConfig(level=logging.WARNING)
if __name__ == "__main__":
    files = sorted(glob.glob('/tmp/dask_split/*.txt'))
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as c, Client(c) as cl:
        Corpus().fit(files[:1], window=15, min_count=5, client=cl)
        with get_task_stream(cl) as ts:
            t = time.time()
            Corpus().fit(files, window=15, min_count=5, client=cl)
            print("total", time.time() - t)
        t0 = min(s["start"] for x in ts.data for s in x["startstops"])
        for x in ts.data:
            for s in x["startstops"]:
                print(x["key"][:30], x["worker"][-5:], s["action"], round(s["start"]-t0, 2), round(s["stop"]-s["start"], 2))
