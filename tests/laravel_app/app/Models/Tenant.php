<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\HasManyThrough;

class Tenant extends Model
{
    public function userWebhooks(): HasManyThrough
    {
        // firstKey is users.tenant_id, secondKey webhooks.created_by_user_id
        return $this->hasManyThrough(Webhook::class, User::class, 'tenant_id', 'created_by_user_id');
    }

    public function userAgents(): HasManyThrough
    {
        // decoy: secondKey is agents.created_by_user_id
        return $this->hasManyThrough(Agent::class, User::class, 'tenant_id', 'created_by_user_id');
    }
}
