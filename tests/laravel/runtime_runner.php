<?php
/*
 * Unit tests of fixgen's Laravel runtime (fixgen/targets/laravel/runtime.php) through real Laravel:
 * the trait is used by a small class, as a generated migration inlines it, and a script of calls runs
 * against a real connection (Capsule + facades, as tests/laravel/runner.php sets them up).
 *
 *   php runtime_runner.php CONFIG_JSON SCRIPT_JSON
 *
 * SCRIPT_JSON: {"online": bool, "migration": "id", "steps": [[op, ...args], ...]} where op is
 *   "mode" M          set the runtime's mode (check, up, down)
 *   "call" NAME ARGS  call the runtime's (private) method NAME with the list ARGS; its result is kept
 *   "run" M STEPS     run() in mode M (up: the check pass first) over STEPS; the results of the last pass
 *   "problems"        what check mode found so far
 *   "sql" STATEMENT   a raw statement on the connection
 *   "select" QUERY    the first row of a query
 * Prints the JSON list of results (null for steps without one) on stdout; the runtime's own log lines
 * go to stderr. On an exception: its class and message on stderr, with the results so far on stdout, exit 1.
 */

ini_set('display_errors', 'stderr');
error_reporting(E_ALL);

require 'Illuminate/Database/autoload.php';
require __DIR__ . '/../../fixgen/targets/laravel/runtime.php';

use Illuminate\Container\Container;
use Illuminate\Database\Capsule\Manager as Capsule;
use Illuminate\Support\Facades\Facade;

trait Harness
{
    public function step(array $step)
    {
        $op = array_shift($step);
        switch ($op) {
            case 'mode':
                $this->mode = $step[0];
                return null;
            case 'call':
                return $this->{$step[0]}(...($step[1] ?? []));
            case 'run': // run(MODE, the steps that follow, as a migration's up() or down() would)
                $results = [];
                $this->run($step[0], function () use ($step, &$results): void {
                    $results = [];
                    foreach ($step[1] as $inner) {
                        $results[] = $this->step($inner);
                    }
                });
                return $results;
            case 'problems':
                return $this->problems;
            case 'sql':
                return Capsule::connection()->statement($step[0]);
            case 'select':
                return (array) Capsule::connection()->selectOne($step[0]);
        }
        throw new InvalidArgumentException("unknown step $op");
    }
}

final class OnlineRuntime
{
    use Fixgen\FixgenRuntime;
    use Harness;

    private const MIGRATION = 'runtime_test';
    private const ONLINE = true;
    private const LOCK_TIMEOUT_MS = 5000;
    private const STATEMENT_TIMEOUT_MS = 30000;
    private const LOCK_RETRY_SECONDS = 30;
    private const LEDGER = 'fixgen_ledger';
    private const LEDGER_COLUMNS = ['migration', 'step', 'object_name', 'applied_at'];
    private const LEDGER_KEY = ['migration', 'step'];
    private const LEDGER_WIDTH = 255;
    private const STEP_SEPARATOR = ':';
    private const LEDGER_MARKER = 'migration:applied';
    private const RUN_LOCK_KEY = 7311;
    private const RUN_LOCK_NAME = 'fixgen:runtime-test';
    private const RUN_LOCK_SECONDS = 30;
    private const PARTITION_SQL = FIXGEN_PARTITION_SQL; // fixgen/partitions.py's queries, from the script
}

final class PlainRuntime
{
    use Fixgen\FixgenRuntime;
    use Harness;

    private const MIGRATION = 'runtime_test';
    private const ONLINE = false;
    private const LOCK_TIMEOUT_MS = 0;
    private const STATEMENT_TIMEOUT_MS = 0;
    private const LOCK_RETRY_SECONDS = 0;
    private const LEDGER = 'fixgen_ledger';
    private const LEDGER_COLUMNS = ['migration', 'step', 'object_name', 'applied_at'];
    private const LEDGER_KEY = ['migration', 'step'];
    private const LEDGER_WIDTH = 255;
    private const STEP_SEPARATOR = ':';
    private const LEDGER_MARKER = 'migration:applied';
    private const RUN_LOCK_KEY = 7311;
    private const RUN_LOCK_NAME = 'fixgen:runtime-test';
    private const RUN_LOCK_SECONDS = 30;
    private const PARTITION_SQL = FIXGEN_PARTITION_SQL;
}

[$self, $configJson, $scriptJson] = $argv + [null, null, null];
$config = json_decode($configJson, true, 512, JSON_THROW_ON_ERROR);
$script = json_decode($scriptJson, true, 512, JSON_THROW_ON_ERROR);
define('FIXGEN_PARTITION_SQL', $script['partition_sql'] ?? []);

$container = new Container();
$capsule = new Capsule($container);
$capsule->addConnection($config);
$capsule->setAsGlobal();
$container->instance('db', $capsule->getDatabaseManager());
Facade::setFacadeApplication($container);
$connection = $capsule->getConnection();
$connection->useDefaultSchemaGrammar();

$runtime = $script['online'] ? new OnlineRuntime() : new PlainRuntime();
$results = [];
try {
    foreach ($script['steps'] as $step) {
        $results[] = $runtime->step($step);
    }
} catch (Throwable $e) {
    fwrite(STDOUT, json_encode($results) . "\n");
    fwrite(STDERR, get_class($e) . ': ' . $e->getMessage() . "\n");
    exit(1);
}
fwrite(STDOUT, json_encode($results) . "\n");
exit(0);
