# The course's commands. The two that matter:
#   make course   set everything up and open JupyterLab on the course
#   make test     set everything up and run every test and notebook
VENV    := .venv
PY      := $(VENV)/bin/python
# Paths come from the course's own settings (includes/settings.py), never restated here.
# Any Python can read them (standard library only), so `make reset` works before setup too.
ANY_PY = $(if $(wildcard $(PY)),$(PY),python3)
SETTING = $(ANY_PY) -c 'import sys; from includes.settings import print_setting; sys.exit(print_setting(sys.argv[1]))'
PORT    ?= 8888
MLFLOW_PORT ?= 5000

.PHONY: help setup course test unit labs mlflow-ui tensorboard lock bench site clean reset \
	cluster cluster-stop test-cluster test-runtime bench-cluster

help:
	@echo "make course     set up (first time: ~5 min, later clones: ~30 s) and open JupyterLab"
	@echo "make test       set up and run all tests and notebooks (small data, offline-ready)"
	@echo "make unit       only the fast unit tests of includes/ (and the data catalogue in datasets/)"
	@echo "make labs       regenerate the student labs from their solutions"
	@echo "make mlflow-ui  open the MLflow UI on the course's tracking store (port $(MLFLOW_PORT))"
	@echo "make tensorboard open TensorBoard on the logs the notebooks wrote"
	@echo "make bench      time setup and every notebook, measure throughput and workers: reports/bench.md"
	@echo "make site       execute every notebook and render site/index.html (SMALL=1: quick version; FORCE=1: all pages)"
	@echo "make reset      delete everything the notebooks wrote (reset_course(): .course/), keep downloads"
	@echo "make cluster    start a Spark standalone cluster here (1 master, 2 workers); then"
	@echo "                COURSE_SPARK_MASTER=\$$(cat build/spark-cluster/master-url) make course"
	@echo "make cluster-stop  stop it"
	@echo "make test-cluster  run every Spark notebook against a fresh cluster (small data, strict paths)"
	@echo "make bench-cluster  UDF inference and SparkTrials on local[2] and on a fresh cluster: reports/bench.md"
	@echo "make test-runtime RUNTIME=15.4  run every notebook (small data) on a Databricks runtime's versions"
	@echo "                in .venv-runtime-15.4 (RUNTIME=17.3: the current LTS; requirements/runtimes/)"

setup:
	@bash scripts/setup.sh

course: setup
	@echo "Starting JupyterLab on http://127.0.0.1:$(PORT) (Ctrl+C to stop). MLflow UI: make mlflow-ui"
	cd notebooks && ../$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
		--ServerApp.root_dir=. $(if $(filter 0,$(shell id -u)),--allow-root,)

test: setup
	@bash scripts/install_browser.sh
	$(PY) -m pytest

unit: setup
	$(PY) -m pytest tests/unit

labs: setup
	$(PY) -c 'import sys; from includes.labs.generator import main; sys.exit(main())'

# One web worker and no GenAI job runner: each would import MLflow again (a minute to start on 2 cores).
mlflow-ui: setup
	@mkdir -p "$$($(SETTING) home)/mlflow"
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(VENV)/bin/mlflow ui --host 127.0.0.1 --port $(MLFLOW_PORT) --workers 1 \
		--backend-store-uri "$$($(SETTING) tracking-uri)" \
		--default-artifact-root "$$($(SETTING) artifact-root)"

tensorboard: setup
	$(VENV)/bin/tensorboard --host 127.0.0.1 --logdir "$$($(SETTING) work)"

# Re-resolve requirements/lock.txt from the direct pins for Linux x86_64/aarch64 and macOS arm64
# (run after changing course.in; needs no .venv). tests/unit/test_lock.py checks the result.
lock:
	@bash scripts/lock.sh

bench: setup
	bash scripts/time_install.sh
	$(PY) -m pytest tests/notebooks tests/labs
	$(PY) scripts/bench_report.py

# The read-only course site: every demo and solution executed and rendered to HTML in site/.
site: setup
	COURSE_SMALL_DATA=$(if $(SMALL),1,0) $(PY) scripts/build_site.py $(if $(FORCE),--force,)

# A Spark standalone cluster on this machine, from the pinned PySpark's own launch classes: one master and
# two workers (1 core, 3 GB each), ports on 127.0.0.1, state and logs in build/spark-cluster/.
cluster: setup
	$(PY) scripts/spark_cluster.py start

cluster-stop:
	$(ANY_PY) scripts/spark_cluster.py stop

# Starts its own cluster (or uses COURSE_SPARK_MASTER), runs every Spark notebook on it, stops it.
test-cluster: setup
	RUN_CLUSTER_TESTS=1 $(PY) -m pytest -s tests/cluster

bench-cluster: setup
	$(PY) scripts/bench_spark.py
	$(PY) scripts/bench_report.py

# Runtime parity: a second environment beside .venv (.venv-runtime-$(RUNTIME), reused when unchanged) with the
# versions Databricks Runtime $(RUNTIME) ML ships (requirements/runtimes/$(RUNTIME).txt) plus the course's install
# step (requirements/databricks-$(RUNTIME).txt); every notebook runs in it with the small-data flag.
RUNTIME ?= 15.4
test-runtime:
	@bash scripts/runtime_env.sh $(RUNTIME)

# The same reset_course() a notebook can call.
reset:
	@$(ANY_PY) -c 'from includes import reset_course; reset_course()'

# Everything reset removes, plus the test suite's course folder, build outputs and the environment.
clean: reset cluster-stop
	rm -rf "$$($(SETTING) test-home)" build $(VENV) $(VENV)-runtime-*
