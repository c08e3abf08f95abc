<?php
/*
 * Runs a generated migration through real Laravel (illuminate/database, as Debian's
 * php-laravel-framework ships it): Capsule + facades, like an application would.
 *
 *   php runner.php CONFIG_JSON MIGRATION_FILE ACTION
 *
 * ACTION: up | down       call the method the way Laravel's Migrator does (inside a
 *                         transaction where the grammar supports schema transactions)
 *         migrate | rollback   go through Illuminate\Database\Migrations\Migrator itself
 *         pretend              Migrator::run with ['pretend' => true] (artisan migrate --pretend)
 * Exit 0 on success; on failure the exception message goes to stderr and exit 1.
 */

ini_set('display_errors', 'stderr');
error_reporting(E_ALL);

require 'Illuminate/Database/autoload.php';
require 'Illuminate/Filesystem/autoload.php';

use Illuminate\Container\Container;
use Illuminate\Database\Capsule\Manager as Capsule;
use Illuminate\Database\Migrations\DatabaseMigrationRepository;
use Illuminate\Database\Migrations\Migrator;
use Illuminate\Filesystem\Filesystem;
use Illuminate\Support\Facades\Facade;

[$self, $configJson, $file, $action] = $argv + [null, null, null, null];
$config = json_decode($configJson, true, 512, JSON_THROW_ON_ERROR);

$container = new Container();
$capsule = new Capsule($container);
$capsule->addConnection($config);
$capsule->setAsGlobal();
$container->instance('db', $capsule->getDatabaseManager());
Facade::setFacadeApplication($container);

try {
    $connection = $capsule->getConnection();
    if ($action === 'up' || $action === 'down') {
        $migration = require $file;
        $run = function () use ($migration, $action) {
            $migration->{$action}();
        };
        if ($connection->getSchemaGrammar() === null) {
            $connection->useDefaultSchemaGrammar(); // as Migrator::getSchemaGrammar() does
        }
        if ($connection->getSchemaGrammar()->supportsSchemaTransactions() && $migration->withinTransaction) {
            $connection->transaction($run);
        } else {
            $run();
        }
    } elseif ($action === 'migrate' || $action === 'rollback' || $action === 'pretend') {
        $resolver = $capsule->getDatabaseManager();
        $repository = new DatabaseMigrationRepository($resolver, 'migrations');
        if (! $repository->repositoryExists()) {
            $repository->createRepository();
        }
        $migrator = new Migrator($repository, $resolver, new Filesystem());
        $paths = [dirname($file)];
        $ran = $action === 'rollback' ? $migrator->rollback($paths)
            : $migrator->run($paths, ['pretend' => $action === 'pretend']);
        fwrite(STDOUT, json_encode(array_map('basename', $ran))."\n");
    } else {
        throw new InvalidArgumentException("unknown action $action");
    }
} catch (Throwable $e) {
    fwrite(STDERR, get_class($e).': '.$e->getMessage()."\n");
    exit(1);
}
exit(0);
