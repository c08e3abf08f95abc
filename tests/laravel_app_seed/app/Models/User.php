<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Relations\BelongsToMany;
use Illuminate\Database\Eloquent\Relations\HasMany;
use Illuminate\Foundation\Auth\User as Authenticatable;

// The seed's models after its fix: webhooks and api_keys are keyed by user_id (seed §1/§7)
class User extends Authenticatable
{
    protected $keyType = 'string';

    public $incrementing = false;

    protected $fillable = ['tenant_id', 'name', 'email', 'password'];

    public function webhooks(): HasMany
    {
        return $this->hasMany(Webhook::class);
    }

    public function apiKeys(): HasMany
    {
        return $this->hasMany(APIKey::class, 'user_id');
    }

    // agents keeps created_by_user_id: not a finding
    public function agents(): HasMany
    {
        return $this->hasMany(Agent::class, 'created_by_user_id');
    }

    public function teams(): BelongsToMany
    {
        return $this->belongsToMany(Team::class, 'team_members')
            ->withPivot('role', 'joined_at')
            ->withTimestamps();
    }
}
