<?php
/*
 * Uses the fixture app's models through real Eloquent (Debian's php-laravel-framework):
 * every relation, scope and attribute that names a renamed column, against a database
 * whose columns were renamed. Before `fixgen models --write` this fails with the
 * database's "no such column" error; after it, it prints what it found, as JSON.
 *
 *   php relations.php CONFIG_JSON APP_DIR
 */

ini_set('display_errors', 'stderr');
error_reporting(E_ALL);

require 'Illuminate/Database/autoload.php';
require 'Illuminate/Auth/autoload.php';

use Illuminate\Container\Container;
use Illuminate\Database\Capsule\Manager as Capsule;
use Illuminate\Support\Facades\Facade;

[$self, $configJson, $appDir] = $argv + [null, null, null];

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

$container = new Container();
$capsule = new Capsule($container);
$capsule->addConnection(json_decode($configJson, true, 512, JSON_THROW_ON_ERROR));
$capsule->setAsGlobal();
$capsule->bootEloquent();
$container->instance('db', $capsule->getDatabaseManager());
Facade::setFacadeApplication($container);

use App\Models\APIKey;
use App\Models\Team;
use App\Models\Tenant;
use App\Models\User;
use App\Models\Webhook;

try {
    $user = User::findOrFail(1);
    $webhook = Webhook::findOrFail(10);
    $out = [
        'user.webhooks' => $user->webhooks()->pluck('url')->all(),
        'user.apiKeys' => $user->apiKeys()->pluck('name')->all(),
        'user.agents' => $user->agents()->pluck('name')->all(),
        'user.teams' => $user->teams()->get()->map(fn ($t) => [$t->name, $t->pivot->joined_on])->all(),
        'user.activeWebhooks' => $user->activeWebhooks()->pluck('url')->all(),
        'user.recentTeams' => $user->recentTeams()->pluck('name')->all(),
        'webhook.createdBy' => $webhook->createdBy->name,
        'webhook.isOwnedBy' => $webhook->isOwnedBy($user),
        'webhook.ownedBy' => Webhook::ownedBy(1)->pluck('url')->all(),
        'apiKey.createdBy' => APIKey::findOrFail(20)->createdBy->name,
        'team.members' => Team::findOrFail(30)->members()->get()->map(fn ($u) => [$u->name, $u->pivot->joined_on])->all(),
        'tenant.userWebhooks' => Tenant::findOrFail(40)->userWebhooks()->pluck('url')->all(),
        'webhook.fillable' => (new Webhook(['url' => 'x', 'user_id' => 1]))->user_id,
    ];
    echo json_encode($out, JSON_THROW_ON_ERROR | JSON_PRETTY_PRINT), "\n";
} catch (Throwable $e) {
    fwrite(STDERR, get_class($e) . ': ' . $e->getMessage() . "\n");
    exit(1);
}
