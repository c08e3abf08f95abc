<?php
/*
 * What real Eloquent (Debian's php-laravel-framework) makes of every relation of the fixture app: for each
 * non-abstract model and each of its methods (its own, a parent's, a trait's) that returns a relation, the
 * key column and the key it points to, as `table.column`, the way the relation's query joins them. No
 * database is opened: building a relation only needs a connection's grammar. Morph relations are left out.
 *
 *   php relation_keys.php APP_DIR      -> JSON: [[model, method, type, key column, referenced key], ...]
 */

ini_set('display_errors', 'stderr');
error_reporting(E_ALL);

require 'Illuminate/Database/autoload.php';
require 'Illuminate/Auth/autoload.php';

use Illuminate\Database\Capsule\Manager as Capsule;
use Illuminate\Database\Eloquent\Relations\BelongsTo;
use Illuminate\Database\Eloquent\Relations\BelongsToMany;
use Illuminate\Database\Eloquent\Relations\HasManyThrough;
use Illuminate\Database\Eloquent\Relations\HasOneOrMany;
use Illuminate\Database\Eloquent\Relations\MorphOneOrMany;
use Illuminate\Database\Eloquent\Relations\MorphTo;
use Illuminate\Database\Eloquent\Relations\MorphToMany;
use Illuminate\Database\Eloquent\Relations\Relation;

$appDir = $argv[1];
spl_autoload_register(function (string $class) use ($appDir) {
    $prefixes = ['App\\' => $appDir . '/app/', 'Illuminate\\Foundation\\' => '/usr/share/php/Illuminate/Foundation/'];
    foreach ($prefixes as $prefix => $dir) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
        }
    }
});

$capsule = new Capsule();
foreach (['default', 'audit'] as $name) {
    $capsule->addConnection(['driver' => 'sqlite', 'database' => ':memory:', 'prefix' => ''], $name);
}
$capsule->setAsGlobal();
$capsule->bootEloquent();

$iterator = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($appDir . '/app/Models'));
foreach ($iterator as $file) {
    if ($file->getExtension() === 'php') {
        require_once $file->getPathname();
    }
}

$out = [];
foreach (get_declared_classes() as $class) {
    $reflection = new ReflectionClass($class);
    if (strncmp($class, 'App\\Models\\', 11) !== 0 || $reflection->isAbstract()) {
        continue;
    }
    foreach ($reflection->getMethods(ReflectionMethod::IS_PUBLIC) as $method) {
        $type = $method->getReturnType();
        if (! $type instanceof ReflectionNamedType || ! is_subclass_of($type->getName(), Relation::class)) {
            continue;
        }
        $relation = (new $class())->{$method->getName()}();
        $who = [class_basename($class), $method->getName(), class_basename($relation)];
        if ($relation instanceof MorphTo || $relation instanceof MorphOneOrMany || $relation instanceof MorphToMany) {
            continue;
        }
        if ($relation instanceof BelongsTo) {
            $out[] = [...$who, $relation->getQualifiedForeignKeyName(), $relation->getQualifiedOwnerKeyName()];
        } elseif ($relation instanceof HasManyThrough) {
            $out[] = [...$who, $relation->getQualifiedFirstKeyName(), $relation->getQualifiedLocalKeyName()];
            $out[] = [...$who, $relation->getQualifiedForeignKeyName(), $relation->getQualifiedParentKeyName()];
        } elseif ($relation instanceof HasOneOrMany) {
            $out[] = [...$who, $relation->getQualifiedForeignKeyName(), $relation->getQualifiedParentKeyName()];
        } elseif ($relation instanceof BelongsToMany) {
            $out[] = [...$who, $relation->getQualifiedForeignPivotKeyName(), $relation->getQualifiedParentKeyName()];
            $out[] = [...$who, $relation->getQualifiedRelatedPivotKeyName(), $relation->getQualifiedRelatedKeyName()];
        }
    }
}
sort($out);
echo json_encode($out, JSON_THROW_ON_ERROR | JSON_PRETTY_PRINT), "\n";
